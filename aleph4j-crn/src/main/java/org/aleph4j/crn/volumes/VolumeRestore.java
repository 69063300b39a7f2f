package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import org.aleph4j.client.scheduler.SnapshotRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a persistent volume to the head of its chain before its program starts on this node. The
 * chain (from the scheduler's restore plan) is a full snapshot then its deltas, each a delta against
 * the one before. The volume's live data is deleted first and comes back only when the whole chain is
 * applied: a missing or corrupt part, a stream failing authentication or a failed receive leaves the
 * volume without live data ({@link VolumeDisk#live} fails), never silently empty or half restored.
 *
 * <p>What the node holds already is used: the local snapshot {@link VolumeState} names (accepted
 * from this node or received earlier, so the very snapshot of that seq) is kept when it is in the
 * chain, and only the snapshots after it are downloaded; when it is the head nothing is downloaded.
 * Every other local snapshot is deleted first (it may have been refused, or be half received). Each
 * stream is downloaded part by part ({@link SnapshotStore#get}: sizes bounded, hashes checked),
 * decrypted segment by segment ({@link SnapshotCipher}: nothing unauthenticated reaches
 * {@code btrfs receive}) and received ({@link VolumeDisk#receive}: what a failed stream created is
 * deleted); the state is saved after each, so an interrupted restore resumes where it stopped.
 *
 * <p>A delta made on another node names its parent by the UUID btrfs gave the parent where it was
 * taken; {@code btrfs receive} finds it among received snapshots by their received UUID, and
 * among snapshots taken on this node by their own UUID, so a chain can pass through any number of
 * nodes, this one included (a writable snapshot of a received one has no received UUID: new
 * snapshots of live are this node's own).
 */
public final class VolumeRestore {
    private static final Logger log = LoggerFactory.getLogger(VolumeRestore.class);
    private final SnapshotStore store;

    /** What a restore did: the head seq (0: empty volume), streams applied, bytes downloaded, whether a local snapshot was the base. */
    public record Result(long seq, int applied, long downloadedBytes, Long localBase, long ms) {}

    public VolumeRestore(SnapshotStore store) {
        this.store = store;
    }

    public Result restore(VolumeDisk disk, String volumeId, byte[] key, long epoch, List<SnapshotRef> chain) throws IOException {
        long t0 = System.nanoTime();
        check(chain, disk.imageBytes());
        Optional<VolumeState> saved = VolumeState.load(disk.dir()).filter(s -> s.volumeId().equals(volumeId));
        Long base = null;
        int from = 0;
        for (int i = chain.size() - 1; i >= 0 && saved.isPresent(); i--) {
            if (chain.get(i).seq() == saved.get().seq() && disk.snapshots().contains(saved.get().seq())) {
                base = chain.get(i).seq();
                from = i + 1;
                break;
            }
        }
        long downloaded = 0;
        try {
            disk.clear(base); // live too: it comes back only once the chain is applied
            VolumeState state = base != null ? saved.get() : new VolumeState(volumeId, 0, epoch, 0, 0, 0);
            for (int i = from; i < chain.size(); i++) {
                SnapshotRef s = chain.get(i);
                apply(disk, volumeId, key, s);
                downloaded += s.bytes();
                state = state.next(s.seq(), epoch, s.full(), s.bytes());
                state.save(disk.dir());
                if (i > 0) disk.deleteSnapshot(chain.get(i - 1).seq());
            }
            if (chain.isEmpty()) {
                disk.resetLiveEmpty();
            } else {
                disk.resetLiveFrom(chain.get(chain.size() - 1).seq());
            }
            new VolumeState(volumeId, state.seq(), epoch, state.fullBytes(), state.deltas(), state.deltaBytes()).save(disk.dir());
        } catch (IOException | RuntimeException e) {
            try {
                disk.deleteLive();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            log.warn("restore of volume {} failed, it has no live data: {}", volumeId, e.getMessage());
            throw e;
        }
        long head = chain.isEmpty() ? 0 : chain.get(chain.size() - 1).seq();
        return new Result(head, chain.size() - from, downloaded, base, (System.nanoTime() - t0) / 1_000_000);
    }

    private void apply(VolumeDisk disk, String volumeId, byte[] key, SnapshotRef s) throws IOException {
        String what = "snapshot " + s.seq() + " of volume " + volumeId;
        try (InputStream in = SnapshotCipher.decrypt(store.get(s.parts(), s.bytes()), key, volumeId, s.seq())) {
            long got = disk.receive(in);
            if (got != s.seq()) {
                disk.deleteSnapshot(got);
                throw new SnapshotCorruptException("the stream of " + what + " holds snapshot " + got);
            }
        } catch (SnapshotCorruptException e) {
            if (e.getMessage().contains(what)) throw e;
            throw new SnapshotCorruptException(what + ": " + e.getMessage(), e);
        }
    }

    /** A chain is a full snapshot then deltas, each against the one before, none larger than its image could make. */
    static void check(List<SnapshotRef> chain, long imageBytes) throws VolumeException {
        long max = 2 * imageBytes + (64L << 20);
        for (int i = 0; i < chain.size(); i++) {
            SnapshotRef s = chain.get(i);
            boolean shape = i == 0 ? s.full() && s.parentSeq() == null
                    : !s.full() && s.parentSeq() != null && s.parentSeq() == chain.get(i - 1).seq() && s.seq() > s.parentSeq();
            if (!shape || s.seq() <= 0) {
                throw new VolumeException("not a snapshot chain (a full snapshot, then deltas each against the one before): " + chain);
            }
            if (s.bytes() <= 0 || s.bytes() > max) {
                throw new VolumeException("snapshot " + s.seq() + " claims " + s.bytes() + " bytes, more than this volume can hold");
            }
        }
    }
}

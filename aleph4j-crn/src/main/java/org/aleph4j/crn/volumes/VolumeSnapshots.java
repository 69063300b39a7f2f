package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshots of one persistent volume while its program runs on this node: call
 * {@link #snapshotNow} every ~2 s (and once more after the program stopped). Each call:
 * <ol>
 * <li>skips when live's generation has not moved since the head was taken ({@link VolumeDisk#generation});</li>
 * <li>takes {@code snap-<head+1>} (atomic, point-in-time);</li>
 * <li>streams {@code btrfs send} of it, as a delta against the head, through {@link SnapshotCipher}
 * into the {@link SnapshotStore}: nothing is buffered whole, bytes shipped follow bytes changed;</li>
 * <li>reports it to the {@link SnapshotRegistry}. Accepted: it is the head, older local snapshots are
 * deleted and {@link VolumeState} records it. Refused: it is deleted and this object is fenced (every
 * later call answers REFUSED without snapshotting). Unknown (the registry could not be reached): the
 * snapshot is kept and the next call reports it again before anything else.</li>
 * </ol>
 * A snapshot is full when there is no head, when {@code maxDeltas} deltas follow the last full one,
 * or when those deltas together are larger than it: a restore then applies at most
 * {@code maxDeltas + 1} streams and downloads at most about twice the full one. Failures before
 * the report delete the new snapshot; the seq is used again. Not thread-safe: one caller.
 */
public final class VolumeSnapshots {
    private static final Logger log = LoggerFactory.getLogger(VolumeSnapshots.class);
    public static final int DEFAULT_MAX_DELTAS = 256;

    private final VolumeDisk disk;
    private final String volumeId;
    private final byte[] key;
    private final SnapshotStore store;
    private final SnapshotRegistry registry;
    private final long epoch;
    private final int maxDeltas;
    private VolumeState state;
    private long headGeneration = -1;
    private SnapshotResult pending;
    private long pendingGeneration;
    private boolean fenced;

    /** For a volume restored (or created) on this node: its {@link VolumeState} must name {@code volumeId}. */
    public VolumeSnapshots(VolumeDisk disk, String volumeId, byte[] key, long epoch, SnapshotStore store,
                           SnapshotRegistry registry, int maxDeltas) throws IOException {
        this.disk = disk;
        this.volumeId = volumeId;
        this.key = key.clone();
        this.epoch = epoch;
        this.store = store;
        this.registry = registry;
        this.maxDeltas = maxDeltas;
        this.state = VolumeState.load(disk.dir()).filter(s -> s.volumeId().equals(volumeId))
                .orElseThrow(() -> new VolumeException("volume " + volumeId + " in " + disk.dir() + " was not restored"));
    }

    /** The seq of the head (0: none yet). */
    public long head() {
        return state.seq();
    }

    public SnapshotResult snapshotNow() throws IOException {
        if (fenced) return refused(state.seq() + 1, null, false);
        if (pending != null) return report(pending, pendingGeneration);
        long generation = disk.generation();
        if (generation == headGeneration) return SnapshotResult.unchanged(state.seq());
        long seq = state.seq() + 1;
        boolean full = state.seq() == 0 || !disk.snapshots().contains(state.seq()) || state.deltas() >= maxDeltas
                || state.deltaBytes() > state.fullBytes();
        Long parent = full ? null : state.seq();
        disk.deleteSnapshot(seq); // a leftover of this seq was never accepted from here: not ours to trust
        long t0 = System.nanoTime();
        long created;
        try {
            created = disk.snapshot(seq);
        } catch (VolumeException e) {
            if (full || !String.valueOf(e.getMessage()).contains("No space left on device")) throw e;
            // the head holds blocks live rewrote and the filesystem is full: the head is stored, free it and go full
            log.info("volume {} is full, dropping its local head {} for a full snapshot", volumeId, parent);
            disk.deleteSnapshot(parent);
            disk.reclaim();
            full = true;
            parent = null;
            created = disk.snapshot(seq);
        }
        SnapshotResult shipped;
        try {
            shipped = ship(seq, parent, full, ms(System.nanoTime() - t0));
        } catch (IOException | RuntimeException e) {
            deleteQuietly(seq, e);
            throw e;
        }
        return report(shipped, created);
    }

    /** send | encrypt | store, as one stream through a pipe: the send runs on its own thread, the upload on this one. */
    private SnapshotResult ship(long seq, Long parent, boolean full, long snapshotMs) throws IOException {
        Pipe pipe = Pipe.open();
        AtomicReference<Throwable> sendFailure = new AtomicReference<>();
        AtomicLong sendEnd = new AtomicLong();
        SendStreamStats[] stats = new SendStreamStats[1];
        long start = System.nanoTime();
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                OutputStream enc = SnapshotCipher.encrypt(Channels.newOutputStream(pipe.sink()), key, volumeId, seq);
                stats[0] = new SendStreamStats(enc);
                disk.send(seq, parent, stats[0]);
                sendEnd.set(System.nanoTime());
                enc.close(); // the last segment: only a complete send is ever a valid stream
            } catch (Throwable t) {
                sendFailure.set(t);
                // the reader must fail, not see the end of a stream
                closeQuietly(pipe.source());
                closeQuietly(pipe.sink());
            }
        });
        Counting in = new Counting(Channels.newInputStream(pipe.source()));
        List<String> parts;
        try {
            parts = store.put(in);
        } catch (IOException | RuntimeException e) {
            closeQuietly(pipe.source());
            join(sender);
            if (sendFailure.get() instanceof IOException s) throw s;
            throw e;
        }
        join(sender);
        closeQuietly(pipe.source());
        Throwable f = sendFailure.get();
        if (f != null) throw f instanceof IOException io ? io : new VolumeException("sending snapshot " + seq + " failed", f);
        long end = System.nanoTime();
        return new SnapshotResult(SnapshotResult.Outcome.ACCEPTED, seq, parent, full, snapshotMs, ms(sendEnd.get() - start),
                ms(end - start), 0, stats[0].changedBytes(), in.count, parts);
    }

    private SnapshotResult report(SnapshotResult s, long generation) throws IOException {
        long t0 = System.nanoTime();
        try {
            registry.report(volumeId, s.seq(), s.parentSeq(), s.full(), s.shippedBytes(), s.parts());
        } catch (SnapshotRefused e) {
            pending = null;
            fenced = true;
            log.warn("snapshot {} of volume {} refused, no more snapshots from this node: {}", s.seq(), volumeId, e.getMessage());
            deleteQuietly(s.seq(), null);
            return refused(s.seq(), s.parentSeq(), s.full());
        } catch (IOException | RuntimeException e) {
            pending = s;
            pendingGeneration = generation;
            throw e;
        }
        pending = null;
        state = state.next(s.seq(), epoch, s.full(), s.shippedBytes());
        state.save(disk.dir());
        headGeneration = generation;
        for (long old : disk.snapshots()) if (old != s.seq()) deleteQuietly(old, null);
        return new SnapshotResult(SnapshotResult.Outcome.ACCEPTED, s.seq(), s.parentSeq(), s.full(), s.snapshotMs(), s.sendMs(),
                s.uploadMs(), ms(System.nanoTime() - t0), s.changedBytes(), s.shippedBytes(), s.parts());
    }

    private static SnapshotResult refused(long seq, Long parent, boolean full) {
        return new SnapshotResult(SnapshotResult.Outcome.REFUSED, seq, parent, full, 0, 0, 0, 0, 0, 0, List.of());
    }

    private void deleteQuietly(long seq, Throwable onto) {
        try {
            disk.deleteSnapshot(seq);
        } catch (IOException | RuntimeException e) {
            if (onto != null) onto.addSuppressed(e);
            else log.warn("cannot delete snapshot {} of volume {}: {}", seq, volumeId, e.getMessage());
        }
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing is all that is wanted
        }
    }

    private static void join(Thread t) throws IOException {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VolumeException("interrupted while sending a snapshot");
        }
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    /** Counts the bytes read through it. */
    private static final class Counting extends java.io.FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }
}

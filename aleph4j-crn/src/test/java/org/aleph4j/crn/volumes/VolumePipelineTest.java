package org.aleph4j.crn.volumes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.aleph4j.client.scheduler.SnapshotRef;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A persistent volume's data following its program from node to node: snapshots shipped
 * incrementally and encrypted into a real CCN, reported to a scheduler that fences old holders,
 * restored from the chain. Three images on one machine stand for three nodes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VolumePipelineTest {
    @TempDir
    static Path dir;
    TestNetwork net;
    CcnSnapshotStore store;
    final byte[] key = Disks.random(7, 32);
    FakeScheduler scheduler;
    String volume;
    Path nodes;

    @BeforeAll
    void start() throws Exception {
        Disks.assumeUsable();
        net = TestNetwork.builder(dir.resolve("net")).start();
    }

    @BeforeEach
    void fresh() throws Exception {
        Disks.assumeUsable();
        nodes = Files.createTempDirectory(dir, "nodes");
        store = new CcnSnapshotStore(net.client(), TestNetwork.newAccount(), nodes.resolve("spool"));
        scheduler = new FakeScheduler();
        volume = ItemHashes.sha256Hex("volume of " + nodes);
    }

    @AfterEach
    void unmount() {
        if (nodes != null) Disks.cleanUp(nodes);
    }

    @AfterAll
    void stop() {
        if (net != null) net.close();
    }

    /** A node that gets the lease, restores the volume and snapshots it. */
    final class Node {
        final String name;
        final VolumeDisk disk;
        VolumeSnapshots snapshots;
        VolumeRestore.Result restored;

        Node(String name, long sizeMib) throws IOException {
            this.name = name;
            this.disk = VolumeDisk.create(nodes.resolve(name).resolve(volume), sizeMib);
        }

        Node start() throws IOException {
            scheduler.lease(name);
            restored = new VolumeRestore(store).restore(disk, volume, key, scheduler.epoch(), scheduler.chain(volume));
            snapshots = new VolumeSnapshots(disk, volume, key, scheduler.epoch(), store, scheduler.as(name), 256);
            return this;
        }

        Path live() throws IOException {
            return disk.live();
        }

        SnapshotResult snap(SnapshotResult.Outcome expected) throws IOException {
            SnapshotResult r = snapshots.snapshotNow();
            assertThat(r.outcome()).as("%s: %s", name, r).isEqualTo(expected);
            return r;
        }
    }

    @Test
    void changingOneMibOfAHundredShipsAboutOneMib() throws Exception {
        Node a = new Node("A", 128).start();
        assertThat(a.restored.seq()).isZero();
        assertThat(Disks.digest(a.live())).containsOnlyKeys("/");
        for (int i = 0; i < 10; i++) Disks.write(a.live().resolve("data/f" + i), Disks.random(i, 10 << 20));
        SnapshotResult full = a.snap(SnapshotResult.Outcome.ACCEPTED);
        assertThat(full.full()).isTrue();
        assertThat(full.shippedBytes()).isBetween(100L << 20, 101L << 20);
        try (RandomAccessFile f = new RandomAccessFile(a.live().resolve("data/f4").toFile(), "rw")) {
            f.seek(3 << 20);
            f.write(Disks.random(99, 1 << 20));
        }
        SnapshotResult delta = a.snap(SnapshotResult.Outcome.ACCEPTED);
        System.out.printf("full: %s%ndelta: %s%n", full, delta);
        assertThat(delta.full()).isFalse();
        assertThat(delta.parentSeq()).isEqualTo(full.seq());
        assertThat(delta.changedBytes()).isBetween(1L << 20, (1L << 20) + (64 << 10));
        assertThat(delta.shippedBytes()).isGreaterThan(1L << 20).isLessThanOrEqualTo((long) (1.5 * (1 << 20)) + (64 << 10));
        assertThat(a.snapshots.snapshotNow().outcome()).isEqualTo(SnapshotResult.Outcome.UNCHANGED);
        assertThat(a.disk.snapshots()).containsExactly(delta.seq());
        assertThat(VolumeState.load(a.disk.dir()).orElseThrow().seq()).isEqualTo(delta.seq());
    }

    @Test
    void theDataFollowsTheProgramAcrossThreeNodesAndAFencedNodeIsRefused() throws Exception {
        Node a = new Node("A", 32).start();
        Disks.write(a.live().resolve("notes/a.txt"), "written on A".getBytes(StandardCharsets.UTF_8));
        Disks.write(a.live().resolve("blob"), Disks.random(1, 3 << 20));
        a.snap(SnapshotResult.Outcome.ACCEPTED);
        Files.writeString(a.live().resolve("notes/a.txt"), "rewritten on A");
        assertThat(a.snap(SnapshotResult.Outcome.ACCEPTED).full()).isFalse();
        TreeMap<String, String> onA = Disks.digest(a.live());

        Node b = new Node("B", 32).start();
        assertThat(b.restored.applied()).isEqualTo(2);
        assertThat(Disks.digest(b.live())).isEqualTo(onA);
        // A no longer holds the lease: its next snapshot is refused and removed, and it stays fenced
        Files.writeString(a.live().resolve("late"), "too late");
        a.snap(SnapshotResult.Outcome.REFUSED);
        assertThat(a.disk.snapshots()).containsExactly(2L);
        a.snap(SnapshotResult.Outcome.REFUSED);

        Files.writeString(b.live().resolve("notes/b.txt"), "written on B");
        SnapshotResult b3 = b.snap(SnapshotResult.Outcome.ACCEPTED);
        assertThat(b3.seq()).isEqualTo(3);
        assertThat(b3.parentSeq()).isEqualTo(2);
        Files.delete(b.live().resolve("blob"));
        b.snap(SnapshotResult.Outcome.ACCEPTED);
        TreeMap<String, String> onB = Disks.digest(b.live());
        assertThat(scheduler.chain(volume)).extracting(SnapshotRef::nodeAddress).containsExactly("A", "A", "B", "B");

        Node c = new Node("C", 32).start();
        assertThat(c.restored.applied()).isEqualTo(4);
        assertThat(Disks.digest(c.live())).isEqualTo(onB);
        assertThat(Files.readString(c.live().resolve("notes/a.txt"))).isEqualTo("rewritten on A");
        assertThat(c.live().resolve("blob")).doesNotExist();
        assertThat(c.disk.snapshots()).containsExactly(4L);

        // back on A: its own snap-2 is the base, only B's two deltas are downloaded
        scheduler.lease("A");
        VolumeRestore.Result again = new VolumeRestore(store).restore(a.disk, volume, key, scheduler.epoch(), scheduler.chain(volume));
        assertThat(again.localBase()).isEqualTo(2L);
        assertThat(again.applied()).isEqualTo(2);
        assertThat(Disks.digest(a.live())).isEqualTo(onB);
        assertThat(a.live().resolve("late")).doesNotExist();
        // and a node holding the head downloads nothing
        VolumeRestore.Result local = new VolumeRestore(new FailingStore()).restore(a.disk, volume, key, scheduler.epoch(),
                scheduler.chain(volume));
        assertThat(local.applied()).isZero();
        assertThat(local.localBase()).isEqualTo(4L);
        assertThat(Disks.digest(a.live())).isEqualTo(onB);
    }

    @Test
    void aFullVolumeIsStillSnapshottedAndItsDataFollowsIt() throws Exception {
        Node a = new Node("A", 24).start();
        long first = fill(a.live().resolve("one"));
        assertThat(first).isBetween(23L << 20, 24L << 20);
        a.snap(SnapshotResult.Outcome.ACCEPTED);
        // live rewritten while the head still holds the old blocks: the filesystem itself fills up
        Files.delete(a.live().resolve("one"));
        long second = fill(a.live().resolve("two"));
        SnapshotResult r = a.snap(SnapshotResult.Outcome.ACCEPTED);
        assertThat(r.full()).as("the local head was dropped to make room").isTrue();
        Node b = new Node("B", 24).start();
        assertThat(b.live().resolve("one")).doesNotExist();
        assertThat(Files.size(b.live().resolve("two"))).isEqualTo(second);
        assertThat(Disks.digest(b.live())).isEqualTo(Disks.digest(a.live()));
    }

    /** Writes 1 MiB chunks with fsync until the volume refuses (quota or full filesystem); returns the file's size. */
    private static long fill(Path file) throws IOException {
        byte[] chunk = Disks.random(file.hashCode(), 1 << 20);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            while (true) {
                var b = java.nio.ByteBuffer.wrap(chunk);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).containsAnyOf("Disk quota exceeded", "No space left on device");
        }
        return Files.size(file);
    }

    @Test
    void aLostAnswerIsReportedAgainAndTheChainContinuesAfterARestart() throws Exception {
        Node a = new Node("A", 16).start();
        Files.writeString(a.live().resolve("x"), "1");
        scheduler.loseAnswers.set(1);
        assertThatThrownBy(() -> a.snapshots.snapshotNow()).hasMessageContaining("the answer was lost");
        assertThat(a.disk.snapshots()).containsExactly(1L);
        SnapshotResult retried = a.snap(SnapshotResult.Outcome.ACCEPTED);
        assertThat(retried.seq()).isEqualTo(1);
        assertThat(scheduler.chain(volume)).hasSize(1);
        // the node restarts: the state file says what it has
        VolumeSnapshots restarted = new VolumeSnapshots(a.disk, volume, key, scheduler.epoch(), store, scheduler.as("A"), 256);
        assertThat(restarted.head()).isEqualTo(1);
        Files.writeString(a.live().resolve("x"), "2");
        SnapshotResult next = restarted.snapshotNow();
        assertThat(next.seq()).isEqualTo(2);
        assertThat(next.parentSeq()).isEqualTo(1L);
        assertThatThrownBy(() -> new VolumeSnapshots(a.disk, "ff".repeat(32), key, 1, store, scheduler.as("A"), 256))
                .hasMessageContaining("was not restored");
    }

    @Test
    void aMissingOrCorruptPartOrAWrongKeyLeavesTheVolumeUnusable() throws Exception {
        Node a = new Node("A", 16).start();
        Disks.write(a.live().resolve("blob"), Disks.random(5, 2 << 20));
        a.snap(SnapshotResult.Outcome.ACCEPTED);
        Files.writeString(a.live().resolve("more"), "more");
        a.snap(SnapshotResult.Outcome.ACCEPTED);
        List<SnapshotRef> chain = scheduler.chain(volume);

        Node b = new Node("B", 16);
        VolumeRestore restore = new VolumeRestore(store);
        List<SnapshotRef> missing = new ArrayList<>(chain);
        missing.set(1, withParts(chain.get(1), List.of(ItemHashes.sha256Hex("gone"))));
        assertThatThrownBy(() -> restore.restore(b.disk, volume, key, 1, missing)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("missing from the CCN");
        assertThatThrownBy(b::live).hasMessageContaining("no live data");

        byte[] otherKey = Disks.random(8, 32);
        assertThatThrownBy(() -> restore.restore(b.disk, volume, otherKey, 1, chain)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("another key");
        assertThatThrownBy(b::live).hasMessageContaining("no live data");
        // another snapshot's stream under this seq
        List<SnapshotRef> swapped = new ArrayList<>(chain);
        swapped.set(1, withParts(chain.get(1), chain.get(0).parts(), chain.get(0).bytes()));
        assertThatThrownBy(() -> restore.restore(b.disk, volume, key, 1, swapped)).isInstanceOf(SnapshotCorruptException.class);
        assertThatThrownBy(b::live).hasMessageContaining("no live data");

        // the CCN serves the delta's part altered (snap-1, received above, is kept as the base)
        String ref = chain.get(1).parts().get(0);
        Path stored = dir.resolve("net/ccn/files").resolve(ref.substring(0, 2)).resolve(ref);
        byte[] original = Files.readAllBytes(stored);
        byte[] altered = original.clone();
        altered[altered.length - 20] ^= 1;
        Files.write(stored, altered);
        assertThatThrownBy(() -> restore.restore(b.disk, volume, key, 1, chain)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("hashes to");
        assertThatThrownBy(b::live).hasMessageContaining("no live data");
        assertThat(b.disk.snapshots()).containsExactly(1L);
        Files.write(stored, original);

        assertThatThrownBy(() -> restore.restore(b.disk, volume, key, 1, List.of(chain.get(1))))
                .hasMessageContaining("not a snapshot chain");
        // with the chain as stored, the volume comes back
        restore.restore(b.disk, volume, key, 1, chain);
        assertThat(Disks.digest(b.live())).isEqualTo(Disks.digest(a.live()));
    }

    @Test
    void aStreamThatFailsAuthenticationHalfwayLeavesNoSnapshotBehind() throws Exception {
        Node a = new Node("A", 16).start();
        Disks.write(a.live().resolve("blob"), Disks.random(6, 3 << 20));
        a.snap(SnapshotResult.Outcome.ACCEPTED);
        SnapshotRef full = scheduler.chain(volume).get(0);
        // re-store the stream with one byte of its third segment altered: hashes match, authentication fails mid-receive
        byte[] stream = store.get(full.parts(), full.bytes()).readAllBytes();
        stream[SnapshotCipher.HEADER + 2 * (SnapshotCipher.SEGMENT + 16) + 5] ^= 1;
        List<String> parts = store.put(new java.io.ByteArrayInputStream(stream));
        Node b = new Node("B", 16);
        assertThatThrownBy(() -> new VolumeRestore(store).restore(b.disk, volume, key, 1, List.of(withParts(full, parts))))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("fails authentication at segment 2");
        assertThat(new Subvolumes(b.disk.dir().resolve("fs")).topLevel()).isEmpty();
        assertThatThrownBy(b::live).hasMessageContaining("no live data");
    }

    private static SnapshotRef withParts(SnapshotRef s, List<String> parts) {
        return withParts(s, parts, s.bytes());
    }

    private static SnapshotRef withParts(SnapshotRef s, List<String> parts, long bytes) {
        return new SnapshotRef(s.seq(), s.parentSeq(), s.epoch(), s.full(), bytes, parts, s.time(), s.nodeAddress());
    }

    /** A store that must not be used. */
    static final class FailingStore implements SnapshotStore {
        @Override
        public List<String> put(java.io.InputStream encrypted) {
            throw new AssertionError("nothing should be stored");
        }

        @Override
        public java.io.InputStream get(List<String> parts, long expectedBytes) {
            throw new AssertionError("nothing should be downloaded");
        }
    }
}

package org.aleph4j.crn.volumes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One volume's filesystem on real loop-mounted btrfs images: size limit, snapshots, send/receive across "nodes", leftovers. */
class VolumeDiskTest {
    @TempDir
    Path root;

    @BeforeEach
    void usable() {
        Disks.assumeUsable();
    }

    @AfterEach
    void unmountAll() {
        Disks.cleanUp(root);
    }

    @Test
    void imageSizeFollowsTheDocumentedRule() {
        assertThat(VolumeDisk.imageMib(1, true)).isEqualTo(16);
        assertThat(VolumeDisk.imageMib(32, true)).isEqualTo(32 + 8 + 1 + 4);
        assertThat(VolumeDisk.imageMib(1024, false)).isEqualTo(1024 + 8 + 4);
        assertThatThrownBy(() -> VolumeDisk.imageMib(0, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWriterPastTheSizeIsStoppedAndTheImageNeverGrows() throws Exception {
        for (boolean persistent : List.of(true, false)) {
            long size = 32;
            Path dir = root.resolve(persistent ? "p" : "e");
            VolumeDisk d = persistent ? VolumeDisk.create(dir, size) : VolumeDisk.createEphemeral(dir, size);
            long imageBytes = VolumeDisk.imageMib(size, persistent) * Disks.MIB;
            assertThat(d.imageBytes()).isEqualTo(imageBytes);
            long written = 0;
            IOException full = null;
            byte[] chunk = Disks.random(1, (int) Disks.MIB);
            try (FileChannel ch = FileChannel.open(d.live().resolve("fill"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                while (written < 2 * imageBytes) {
                    ByteBuffer b = ByteBuffer.wrap(chunk);
                    while (b.hasRemaining()) written += ch.write(b);
                    ch.force(true);
                }
            } catch (IOException e) {
                full = e;
            }
            System.out.printf("volume of %d MiB (%s): image %d MiB, %.1f MiB written before the write failed%n", size,
                    persistent ? "persistent" : "ephemeral", imageBytes / Disks.MIB, written / (double) Disks.MIB);
            assertThat(full).as("the writer must be stopped").isNotNull();
            if (persistent) {
                // the quota stops it at its size, with room left for snapshots
                assertThat(full.getMessage()).contains("Disk quota exceeded");
                assertThat(written).isBetween((size - 1) * Disks.MIB, size * Disks.MIB);
            } else {
                assertThat(full.getMessage()).contains("No space left on device");
                assertThat(written).isGreaterThanOrEqualTo(size * Disks.MIB).isLessThan(imageBytes);
            }
            assertThat(Files.size(dir.resolve("image"))).isEqualTo(imageBytes);
            assertThat(Disks.allocatedBytes(dir.resolve("image"))).isLessThanOrEqualTo(imageBytes);
            if (persistent) {
                // a full volume can still be snapshotted and shipped, and freed again
                d.snapshot(1);
                Disks.Counting sent = new Disks.Counting(false);
                d.send(1, null, sent);
                assertThat(sent.count).isGreaterThan(written);
                Files.delete(d.live().resolve("fill"));
                d.deleteSnapshot(1);
                d.reclaim();
                Files.write(d.live().resolve("again"), new byte[(int) (4 * Disks.MIB)]);
                // the limit holds on a live reset from a snapshot, and after a remount
                d.snapshot(2);
                d.resetLiveFrom(2);
                d.unmount();
                d = VolumeDisk.open(dir);
                assertThat(fillUntilStopped(d.live().resolve("more"))).isBetween((size - 5) * Disks.MIB, (size - 4) * Disks.MIB);
            }
            d.destroy();
            assertThat(dir).doesNotExist();
        }
        assertThat(Disks.kernelHolds(root)).isEmpty();
    }

    /** Writes 1 MiB at a time with fsync until the volume refuses; returns how much was written. */
    private static long fillUntilStopped(Path file) throws IOException {
        long written = 0;
        byte[] chunk = Disks.random(2, (int) Disks.MIB);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (true) {
                ByteBuffer b = ByteBuffer.wrap(chunk);
                while (b.hasRemaining()) written += ch.write(b);
                ch.force(true);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("Disk quota exceeded");
            return written;
        }
    }

    @Test
    void generationIsUnchangedUntilSomethingIsWritten() throws Exception {
        VolumeDisk d = VolumeDisk.create(root.resolve("g"), 16);
        Disks.write(d.live().resolve("a"), "one".getBytes(StandardCharsets.UTF_8));
        long g1 = d.snapshot(1);
        assertThat(d.generation()).isEqualTo(g1);
        assertThat(d.generation()).isEqualTo(g1);
        Files.readAllBytes(d.live().resolve("a"));
        assertThat(d.generation()).as("reads change nothing (noatime)").isEqualTo(g1);
        // written but not yet committed: generation() commits first
        Files.writeString(d.live().resolve("b"), "two");
        assertThat(d.generation()).isGreaterThan(g1);
        assertThat(d.snapshots()).containsExactly(1L);
    }

    @Test
    void snapshotsArePointInTimeWhileTheProgramWrites() throws Exception {
        VolumeDisk a = VolumeDisk.create(root.resolve("a"), 64);
        Path live = a.live();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong completed = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        // round r replaces f0..f9 in order, each durably (write, fsync, rename), as a database would:
        // a snapshot taken at one moment has f0 >= ... >= f9 >= f0 - 1, and every round completed before it
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                for (long r = 1; !stop.get(); r++) {
                    for (int i = 0; i < 10; i++) {
                        Path tmp = live.resolve("tmp-" + i);
                        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                StandardOpenOption.TRUNCATE_EXISTING)) {
                            ch.write(ByteBuffer.wrap((r + "\n" + "x".repeat(4000)).getBytes(StandardCharsets.UTF_8)));
                            ch.force(true);
                        }
                        Files.move(tmp, live.resolve("f" + i), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                    completed.set(r);
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        List<long[]> seen = new ArrayList<>();
        long[] before = new long[7];
        try {
            Thread.sleep(100);
            for (int seq = 1; seq <= 6; seq++) {
                before[seq] = completed.get();
                a.snapshot(seq);
                Thread.sleep(30);
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThat(failed.get()).isNull();
        for (int seq = 1; seq <= 6; seq++) {
            long[] v = new long[10];
            for (int i = 0; i < 10; i++) {
                Path f = a.snapPath(seq).resolve("f" + i);
                v[i] = Files.exists(f) ? Long.parseLong(Files.readAllLines(f).get(0)) : 0;
            }
            seen.add(v);
            for (int i = 1; i < 10; i++) assertThat(v[i]).as("snapshot %d: %s", seq, Arrays.toString(v)).isBetween(v[0] - 1, v[i - 1]);
            assertThat(v[9]).as("snapshot %d has every round completed before it", seq).isGreaterThanOrEqualTo(before[seq]);
        }
        assertThat(seen.get(5)[0]).as("the writer ran during the snapshots").isGreaterThan(seen.get(0)[0]);
        // the restored content is that moment too
        VolumeDisk b = VolumeDisk.create(root.resolve("b"), 64);
        b.deleteLive();
        Disks.Counting full = new Disks.Counting(true);
        a.send(3, null, full);
        assertThat(b.receive(new ByteArrayInputStream(full.keep.toByteArray()))).isEqualTo(3);
        b.resetLiveFrom(3);
        assertThat(Disks.digest(b.live())).isEqualTo(Disks.digest(a.snapPath(3)));
    }

    @Test
    void aChainMadeOnOneNodeIsContinuedOnASecondAndRestoredOnAThird() throws Exception {
        VolumeDisk a = VolumeDisk.create(root.resolve("A"), 64);
        Disks.write(a.live().resolve("data/one"), Disks.random(1, 300_000));
        Disks.write(a.live().resolve("data/two"), "two".getBytes(StandardCharsets.UTF_8));
        a.snapshot(1);
        byte[] s1 = stream(a, 1, null);
        Disks.write(a.live().resolve("data/three"), Disks.random(3, 100_000));
        Files.delete(a.live().resolve("data/two"));
        a.snapshot(2);
        byte[] s2 = stream(a, 2, 1L);

        VolumeDisk b = VolumeDisk.create(root.resolve("B"), 64);
        b.deleteLive();
        assertThat(b.receive(new ByteArrayInputStream(s1))).isEqualTo(1);
        assertThat(b.receive(new ByteArrayInputStream(s2))).isEqualTo(2);
        b.resetLiveFrom(2);
        assertThat(Disks.digest(b.live())).isEqualTo(Disks.digest(a.snapPath(2)));
        b.deleteSnapshot(1);
        Disks.write(b.live().resolve("data/four"), Disks.random(4, 200_000));
        b.snapshot(3);
        byte[] s3 = stream(b, 3, 2L);
        Files.writeString(b.live().resolve("data/three"), "rewritten on B");
        b.snapshot(4);
        byte[] s4 = stream(b, 4, 3L);

        VolumeDisk c = VolumeDisk.create(root.resolve("C"), 64);
        c.deleteLive();
        for (byte[] s : List.of(s1, s2, s3, s4)) c.receive(new ByteArrayInputStream(s));
        assertThat(c.snapshots()).containsExactly(1L, 2L, 3L, 4L);
        c.resetLiveFrom(4);
        assertThat(Disks.digest(c.live())).isEqualTo(Disks.digest(b.snapPath(4)));
        assertThat(c.live().resolve("data/two")).doesNotExist();
        assertThat(Files.readString(c.live().resolve("data/three"))).isEqualTo("rewritten on B");

        // back on A, B's deltas apply on A's own snap-2 (found by its UUID, which B's copy received)
        a.deleteLive();
        a.receive(new ByteArrayInputStream(s3));
        a.receive(new ByteArrayInputStream(s4));
        a.resetLiveFrom(4);
        assertThat(Disks.digest(a.live())).isEqualTo(Disks.digest(b.snapPath(4)));
    }

    @Test
    void aFailedReceiveLeavesNoSnapshotAndReceiveRefusesWhileLiveExists() throws Exception {
        VolumeDisk a = VolumeDisk.create(root.resolve("A"), 64);
        Disks.write(a.live().resolve("big"), Disks.random(9, 4_000_000));
        a.snapshot(1);
        byte[] s1 = stream(a, 1, null);

        VolumeDisk b = VolumeDisk.create(root.resolve("B"), 64);
        assertThatThrownBy(() -> b.receive(new ByteArrayInputStream(s1))).hasMessageContaining("while it has live data");
        b.deleteLive();
        assertThatThrownBy(() -> b.receive(new ByteArrayInputStream(Arrays.copyOf(s1, s1.length / 2))))
                .isInstanceOf(VolumeException.class).hasMessageContaining("btrfs receive");
        assertThat(b.snapshots()).isEmpty();
        assertThat(new Subvolumes(b.dir().resolve("fs")).topLevel()).isEmpty();
        assertThatThrownBy(b::live).hasMessageContaining("no live data");
        assertThat(b.receive(new ByteArrayInputStream(s1))).isEqualTo(1);
    }

    @Test
    void aStreamNamingAnythingButASnapshotIsRemoved() throws Exception {
        // a sender can name the subvolume of its stream at will: here "live"
        VolumeDisk a = VolumeDisk.create(root.resolve("A"), 16);
        Disks.write(a.live().resolve("planted"), "x".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(a.dir().resolve("fs/x"));
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "snapshot", "-r", a.live().toString(),
                a.dir().resolve("fs/x/live").toString());
        Disks.Counting named = new Disks.Counting(true);
        VolumeTools.runTo(VolumeTools.SHORT, named, "btrfs", "send", "-q", a.dir().resolve("fs/x/live").toString());

        VolumeDisk b = VolumeDisk.create(root.resolve("B"), 16);
        b.deleteLive();
        assertThatThrownBy(() -> b.receive(new ByteArrayInputStream(named.keep.toByteArray())))
                .hasMessageContaining("created [live], not one snapshot");
        assertThat(new Subvolumes(b.dir().resolve("fs")).topLevel()).isEmpty();
        assertThatThrownBy(b::live).hasMessageContaining("no live data");
    }

    @Test
    void leftoversOfACrashedRunAreUnmountedAndTheVolumeOpensAgain() throws Exception {
        Path dir = root.resolve("volumes/v1");
        VolumeDisk d = VolumeDisk.create(dir, 16);
        Disks.write(d.live().resolve("kept"), "still here".getBytes(StandardCharsets.UTF_8));
        d.snapshot(1);
        // the node dies here: nothing is unmounted
        assertThat(Disks.kernelHolds(root)).hasSize(2);
        assertThat(VolumeDisk.cleanLeftovers(root.resolve("volumes"))).isBetween(1, 2);
        assertThat(Disks.kernelHolds(root)).isEmpty();
        VolumeDisk again = VolumeDisk.open(dir);
        assertThat(Files.readString(again.live().resolve("kept"))).isEqualTo("still here");
        assertThat(again.snapshots()).containsExactly(1L);
        assertThat(VolumeDisk.open(dir).live()).isEqualTo(again.live());
    }

    @Test
    void openMountsOnlyThisNodesImages() throws Exception {
        Path other = root.resolve("other");
        Files.createDirectories(other);
        try (var f = new java.io.RandomAccessFile(other.resolve("image").toFile(), "rw")) {
            f.setLength(32 * Disks.MIB);
        }
        assertThatThrownBy(() -> VolumeDisk.open(other)).hasMessageContaining("not a btrfs image");
        VolumeTools.run(VolumeTools.SHORT, "mkfs.btrfs", "-q", "--mixed", "-L", "someone-else", other.resolve("image").toString());
        assertThatThrownBy(() -> VolumeDisk.open(other)).hasMessageContaining("not a volume of this node");

        VolumeDisk d = VolumeDisk.create(root.resolve("v"), 16);
        d.unmount();
        VolumeTools.run(VolumeTools.SHORT, "mount", "-t", "tmpfs", "-o", "size=1m", "intruder", root.resolve("v/fs").toString());
        assertThatThrownBy(() -> VolumeDisk.open(root.resolve("v"))).hasMessageContaining("not this volume's image");
    }

    private static byte[] stream(VolumeDisk d, long seq, Long parent) throws IOException {
        Disks.Counting out = new Disks.Counting(true);
        d.send(seq, parent, out);
        return out.keep.toByteArray();
    }
}

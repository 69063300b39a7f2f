package org.aleph4j.bench.crn;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.aleph4j.client.scheduler.SnapshotRef;
import org.aleph4j.crn.volumes.CcnSnapshotStore;
import org.aleph4j.crn.volumes.SnapshotRegistry;
import org.aleph4j.crn.volumes.SnapshotResult;
import org.aleph4j.crn.volumes.VolumeDisk;
import org.aleph4j.crn.volumes.VolumeRestore;
import org.aleph4j.crn.volumes.VolumeSnapshots;
import org.aleph4j.testkit.TestNetwork;

/**
 * Persistent volumes on real loop-mounted btrfs images and a real CCN on loopback: a 256 MiB volume
 * with a writer doing 4 KiB writes + fsync (1 MiB changed per 2 s interval) while it is snapshotted
 * every 2 s, printing the writer's latency during snapshots versus outside them, the snapshot, send
 * and upload times, and bytes shipped per byte changed; then the restore time of a 1 GiB volume from
 * its full chain on another "node". Needs root and btrfs-progs. Prints figures; asserts nothing.
 * Usage: {@code VolumeBench [intervals=30] [restoreMib=1024]}.
 */
public final class VolumeBench {
    private static final int BLOCK = 4096;
    private static final long MIB = 1 << 20;

    public static void main(String[] args) throws Exception {
        int intervals = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long restoreMib = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        Path dir = Files.createTempDirectory("volume-bench");
        byte[] key = new byte[32];
        new SplittableRandom(1).nextBytes(key);
        try (TestNetwork net = TestNetwork.builder(dir.resolve("net")).start()) {
            CcnSnapshotStore store = new CcnSnapshotStore(net.client(), TestNetwork.newAccount(), dir.resolve("spool"));
            snapshotsWhileWriting(dir.resolve("a"), store, key, intervals);
            restore(dir.resolve("big"), store, key, restoreMib);
        } finally {
            VolumeDisk.cleanLeftovers(dir);
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static void snapshotsWhileWriting(Path dir, CcnSnapshotStore store, byte[] key, int intervals) throws Exception {
        List<SnapshotRef> chain = new ArrayList<>();
        String volume = "aa".repeat(32);
        VolumeDisk disk = VolumeDisk.create(dir, 256);
        new VolumeRestore(store).restore(disk, volume, key, 1, List.of());
        VolumeSnapshots snaps = new VolumeSnapshots(disk, volume, key, 1, store, registry(chain), VolumeSnapshots.DEFAULT_MAX_DELTAS);
        Path db = disk.live().resolve("db");
        fill(db, 128 * MIB, 2);
        SnapshotResult first = snaps.snapshotNow();
        System.out.printf("full snapshot of 128 MiB: snapshot %d ms, send %d ms, upload %d ms, shipped %.1f MiB%n",
                first.snapshotMs(), first.sendMs(), first.uploadMs(), first.shippedBytes() / (double) MIB);

        int writesPerInterval = (int) (MIB / BLOCK);
        long intervalNs = 2_000_000_000L;
        long[] starts = new long[writesPerInterval * (intervals + 1) + 1];
        long[] lat = new long[starts.length];
        int[] count = {0};
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = Thread.ofPlatform().start(() -> {
            SplittableRandom rnd = new SplittableRandom(3);
            byte[] block = new byte[BLOCK];
            long begin = System.nanoTime();
            try (FileChannel ch = FileChannel.open(db, StandardOpenOption.WRITE)) {
                for (int i = 0; !stop.get() && i < starts.length; i++) {
                    long due = begin + i * intervalNs / writesPerInterval;
                    for (long now; (now = System.nanoTime()) < due; ) LockSupport.parkNanos(due - now);
                    rnd.nextBytes(block);
                    long t = System.nanoTime();
                    ch.write(ByteBuffer.wrap(block), rnd.nextLong(128 * MIB / BLOCK) * BLOCK);
                    ch.force(false);
                    starts[i] = t;
                    lat[i] = System.nanoTime() - t;
                    count[0] = i + 1;
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        List<long[]> windows = new ArrayList<>();
        List<SnapshotResult> results = new ArrayList<>();
        long next = System.nanoTime() + intervalNs;
        for (int i = 0; i < intervals; i++) {
            while (System.nanoTime() < next) Thread.sleep(1);
            next += intervalNs;
            long t0 = System.nanoTime();
            SnapshotResult r = snaps.snapshotNow();
            windows.add(new long[] {t0, System.nanoTime()});
            results.add(r);
        }
        stop.set(true);
        writer.join();
        int n = count[0];
        List<Long> during = new ArrayList<>();
        List<Long> outside = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean in = false;
            for (long[] w : windows) in |= starts[i] + lat[i] >= w[0] && starts[i] <= w[1];
            (in ? during : outside).add(lat[i]);
        }
        long shipped = results.stream().mapToLong(SnapshotResult::shippedBytes).sum();
        long changed = results.stream().mapToLong(SnapshotResult::changedBytes).sum();
        long written = (long) n * BLOCK;
        System.out.printf("writer: %d writes of 4 KiB + fdatasync, 1 MiB per 2 s, %d snapshots%n", n, intervals);
        System.out.printf("write latency outside snapshots: n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms%n", outside.size(),
                pct(outside, 50), pct(outside, 99), pct(outside, 100));
        System.out.printf("write latency during snapshots:  n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms%n", during.size(),
                pct(during, 50), pct(during, 99), pct(during, 100));
        System.out.printf("per snapshot: snapshot p50=%.0f ms p99=%.0f ms, send p50=%.0f ms, upload p50=%.0f ms p99=%.0f ms, "
                        + "whole call p50=%.0f ms p99=%.0f ms%n",
                pctOf(results, SnapshotResult::snapshotMs, 50), pctOf(results, SnapshotResult::snapshotMs, 99),
                pctOf(results, SnapshotResult::sendMs, 50), pctOf(results, SnapshotResult::uploadMs, 50),
                pctOf(results, SnapshotResult::uploadMs, 99),
                pct(windows.stream().map(w -> w[1] - w[0]).toList(), 50), pct(windows.stream().map(w -> w[1] - w[0]).toList(), 99));
        System.out.printf("shipped %.1f MiB for %.1f MiB written (%.3f per byte written), %.1f MiB changed per the send "
                        + "streams (%.3f per byte changed)%n", shipped / (double) MIB, written / (double) MIB, shipped / (double) written,
                changed / (double) MIB, shipped / (double) changed);
        disk.destroy();
    }

    private static void restore(Path dir, CcnSnapshotStore store, byte[] key, long mib) throws Exception {
        String volume = "bb".repeat(32);
        List<SnapshotRef> chain = new ArrayList<>();
        VolumeDisk a = VolumeDisk.create(dir.resolve("A"), mib);
        new VolumeRestore(store).restore(a, volume, key, 1, List.of());
        VolumeSnapshots snaps = new VolumeSnapshots(a, volume, key, 1, store, registry(chain), VolumeSnapshots.DEFAULT_MAX_DELTAS);
        long data = mib * MIB - 16 * MIB;
        for (int i = 0; i < 4; i++) fill(a.live().resolve("f" + i), data / 4, 10 + i);
        SnapshotResult full = snaps.snapshotNow();
        System.out.printf("full snapshot of %d MiB: snapshot %d ms, send %d ms, upload %d ms, shipped %.1f MiB%n", data / MIB,
                full.snapshotMs(), full.sendMs(), full.uploadMs(), full.shippedBytes() / (double) MIB);
        long sendStart = System.nanoTime();
        a.send(full.seq(), null, OutputStream.nullOutputStream());
        System.out.printf("btrfs send alone of it: %.0f ms%n", (System.nanoTime() - sendStart) / 1e6);
        a.destroy();
        VolumeDisk b = VolumeDisk.create(dir.resolve("B"), mib);
        VolumeRestore.Result r = new VolumeRestore(store).restore(b, volume, key, 2, chain);
        System.out.printf("restore of a %d MiB volume (%.1f MiB of data, chain of %d): %d ms (%.0f MiB/s)%n", mib,
                r.downloadedBytes() / (double) MIB, r.applied(), r.ms(), r.downloadedBytes() / (double) MIB / (r.ms() / 1000.0));
        b.destroy();
    }

    private static SnapshotRegistry registry(List<SnapshotRef> chain) {
        return (volumeId, seq, parentSeq, full, bytes, parts) -> {
            if (full) chain.clear();
            chain.add(new SnapshotRef(seq, parentSeq, 1, full, bytes, parts, System.currentTimeMillis() / 1000.0, "bench"));
        };
    }

    private static void fill(Path file, long bytes, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] buf = new byte[(int) MIB];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long done = 0; done < bytes; done += buf.length) {
                rnd.nextBytes(buf);
                ch.write(ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, bytes - done)));
            }
            ch.force(true);
        }
    }

    private static double pctOf(List<SnapshotResult> rs, java.util.function.ToLongFunction<SnapshotResult> f, int p) {
        return pct(rs.stream().filter(r -> r.outcome() == SnapshotResult.Outcome.ACCEPTED).map(r -> f.applyAsLong(r) * 1_000_000)
                .toList(), p);
    }

    /** The p-th percentile in milliseconds of nanosecond values. */
    private static double pct(List<Long> nanos, int p) {
        if (nanos.isEmpty()) return Double.NaN;
        long[] a = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        int i = (int) Math.ceil(p / 100.0 * a.length) - 1;
        return a[Math.max(0, Math.min(a.length - 1, i))] / 1e6;
    }
}

package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.aleph4j.client.scheduler.RestorePlan;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.execution.ExecutionVolumes;
import org.aleph4j.crn.execution.Executor;
import org.aleph4j.crn.execution.HostTools;
import org.aleph4j.crn.prepare.ImmutableVolumes;
import org.aleph4j.crn.prepare.MountPoints;
import org.aleph4j.message.content.Volume;
import org.aleph4j.message.content.VolumeIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volumes of this node's executions ({@link ExecutionVolumes}), under {@code <data>/volumes}:
 * <ul>
 *   <li><b>immutable</b>: the STORE's file, prepared by {@link ImmutableVolumes} and bound read-only;</li>
 *   <li><b>ephemeral</b>: a fresh size-limited filesystem per execution, destroyed when it ends;</li>
 *   <li><b>persistent</b>: a size-limited filesystem per volume id ({@link VolumeIds}: the owner and the
 *       volume's name, so it survives replaces, unpersist and a new upload). For a persistent
 *       program on a leased node it follows the program: before each start under a new epoch it is
 *       restored from the scheduler's restore plan ({@link VolumeRestore}; what this node already holds
 *       is reused), and while the program runs it is snapshotted every {@code interval}
 *       ({@link VolumeSnapshots}), plus once more when the program is handed over. On demand (or on a
 *       node without a scheduler) it stays on this node.</li>
 * </ul>
 * A volume is used by one execution at a time on this node. Every step that reaches the network is
 * bounded by the preparation timeout of the execution's start.
 */
public final class NodeVolumes implements ExecutionVolumes, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeVolumes.class);

    /** How a leased node reaches the network for persistent volumes that follow their program. */
    public interface Network {
        /** The scheduler's restore plan for {@code itemHash} under {@code epoch} (this node must hold the lease). */
        RestorePlan plan(String itemHash, long epoch) throws IOException;

        /** The volume key of a plan, opened with this node's key. */
        byte[] openKey(RestorePlan.VolumePlan volume);

        /** Where this execution's snapshots are reported (bound to the program and the epoch). */
        SnapshotRegistry registry(String itemHash, long epoch);

        SnapshotStore store();
    }

    /** One followed volume: its id (the key of its lock) and its snapshots. */
    private record Vol(String id, VolumeSnapshots snapshots) {}

    /** The persistent volumes of one persistent execution being snapshotted. */
    private static final class Followed {
        final String itemHash;
        final long epoch;
        final List<Vol> volumes = new ArrayList<>();
        final Map<String, SnapshotResult> last = new ConcurrentHashMap<>();
        /** When the volume's state last matched an accepted snapshot (its restore, then each acceptance). */
        volatile long lastAcceptedMs;
        volatile String lastError;
        int failuresInARow;

        Followed(String itemHash, long epoch) {
            this.itemHash = itemHash;
            this.epoch = epoch;
            this.lastAcceptedMs = System.currentTimeMillis(); // just restored: what it holds is the network's
        }
    }

    private final Path root;
    private final ImmutableVolumes immutable;
    private final String unavailable;
    private final Network network;
    private final Duration interval;
    private final Map<String, Followed> followed = new ConcurrentHashMap<>();
    /** Volume id (persistent) → the execution using it. */
    private final Map<String, String> inUse = new ConcurrentHashMap<>();
    /** Volume id → the lock of its disk: a restore and a snapshot (say a stopped epoch's last one) never overlap. */
    private final Map<String, Object> diskLocks = new ConcurrentHashMap<>();
    /** Execution id → its ephemeral disks. */
    private final Map<String, List<VolumeDisk>> ephemeral = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    /**
     * @param executorMounts whether the node's executor can mount volumes at the program's paths
     * @param network        null on a node without a scheduler: persistent volumes stay on the node
     */
    public NodeVolumes(Path dataDir, ImmutableVolumes immutable, boolean executorMounts, Network network, Duration interval) {
        this.root = dataDir.resolve("volumes");
        this.immutable = immutable;
        this.network = network;
        this.interval = interval;
        this.unavailable = whyUnavailable(executorMounts);
        if (unavailable == null) {
            try {
                Files.createDirectories(root.resolve("ephemeral"));
                int left = VolumeDisk.cleanLeftovers(root);
                if (left > 0) log.info("unmounted {} volume(s) a previous run of the node left mounted", left);
                try (var old = Files.list(root.resolve("ephemeral"))) {
                    for (Path p : old.toList()) destroyQuietly(p);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot prepare " + root, e);
            }
        } else {
            log.info("volumes unavailable on this node: {}", unavailable);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "crn-volume-snapshots");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::snapshotAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String whyUnavailable(boolean executorMounts) {
        if (!executorMounts) return "the executor cannot mount volumes (volumes need the sandbox executor)";
        if (!org.aleph4j.crn.execution.HostFiles.isRoot()) return "the node does not run as root (volumes are loop mounts)";
        for (String tool : List.of("mkfs.btrfs", "btrfs", "mount", "umount")) {
            if (HostTools.which(tool) == null) return tool + " is not installed (Debian: btrfs-progs)";
        }
        try {
            if (!Files.readString(Path.of("/proc/filesystems")).contains("btrfs")) return "the kernel has no btrfs";
        } catch (IOException e) {
            return "cannot read /proc/filesystems: " + e.getMessage();
        }
        return null;
    }

    @Override
    public boolean available() {
        return unavailable == null;
    }

    @Override
    public List<Executor.Mount> attach(Start start) {
        if (start.volumes().isEmpty()) return List.of();
        if (unavailable != null) {
            throw new CrnException(503, "this node cannot mount volumes: " + unavailable, Map.of("item_hash", start.itemHash()));
        }
        List<String> points = MountPoints.of(start.volumes());
        List<Executor.Mount> mounts = new ArrayList<>();
        try {
            boolean follows = start.persistent() && network != null;
            RestorePlan plan = null;
            Followed f = null;
            if (follows && start.restart()) {
                f = followed.get(start.itemHash());
                if (f != null && f.epoch != start.epoch()) f = null;
            }
            boolean restore = follows && f == null && start.volumes().stream().anyMatch(v -> v instanceof Volume.Persistent);
            if (restore) {
                plan = network.plan(start.itemHash(), start.epoch());
                f = new Followed(start.itemHash(), start.epoch());
            }
            for (int i = 0; i < start.volumes().size(); i++) {
                Volume v = start.volumes().get(i);
                String at = points.get(i);
                switch (v) {
                    case Volume.Immutable im -> {
                        ImmutableVolumes.Prepared p = immutable.prepare(im, start.executionId());
                        mounts.add(new Executor.Mount(p.hostPath(), at, true, !p.directory()));
                    }
                    case Volume.Ephemeral e -> {
                        VolumeDisk d = VolumeDisk.createEphemeral(root.resolve("ephemeral").resolve(start.executionId() + "-" + i),
                                e.sizeMib());
                        ephemeral.computeIfAbsent(start.executionId(), k -> new ArrayList<>()).add(d);
                        mounts.add(new Executor.Mount(d.live(), at, false, false));
                    }
                    case Volume.Persistent p -> {
                        String id = VolumeIds.of(start.owner(), p);
                        claim(id, start.executionId());
                        VolumeDisk d = disk(id, p.sizeMib());
                        if (restore) restore(d, id, start, plan, f);
                        mounts.add(new Executor.Mount(d.live(), at, false, false));
                    }
                }
            }
            if (restore) followed.put(start.itemHash(), f);
            return mounts;
        } catch (CrnException e) {
            detach(start.executionId());
            throw e;
        } catch (SnapshotCorruptException e) {
            detach(start.executionId());
            throw new CrnException(502, "cannot restore the program's volume: " + e.getMessage(), Map.of("item_hash", start.itemHash()));
        } catch (IOException | RuntimeException e) {
            detach(start.executionId());
            throw new CrnException(503, "cannot provide the program's volumes: " + e.getMessage(), Map.of("item_hash", start.itemHash()));
        }
    }

    private void restore(VolumeDisk d, String id, Start start, RestorePlan plan, Followed f) throws IOException {
        RestorePlan.VolumePlan vp = plan.volumes().stream().filter(x -> x.volumeId().equals(id)).findFirst()
                .orElseThrow(() -> new CrnException(502, "the scheduler's restore plan has no volume " + id));
        byte[] key = network.openKey(vp);
        VolumeRestore.Result r;
        synchronized (lockOf(id)) {
            r = new VolumeRestore(network.store()).restore(d, id, key, start.epoch(), vp.chain());
        }
        log.info("volume {} of {} (epoch {}) restored to snapshot {}: {} stream(s), {} bytes downloaded{}, {} ms",
                id.substring(0, 12), start.itemHash(), start.epoch(), r.seq(), r.applied(), r.downloadedBytes(),
                r.localBase() == null ? "" : ", from local snapshot " + r.localBase(), r.ms());
        f.volumes.add(new Vol(id, new VolumeSnapshots(d, id, key, start.epoch(), network.store(),
                network.registry(start.itemHash(), start.epoch()), VolumeSnapshots.DEFAULT_MAX_DELTAS)));
    }

    private void claim(String volumeId, String executionId) {
        String other = inUse.putIfAbsent(volumeId, executionId);
        if (other != null && !other.equals(executionId)) {
            throw new CrnException(409, "the program's persistent volume is in use by another execution on this node (" + other
                    + "): try again when it has stopped");
        }
    }

    private VolumeDisk disk(String volumeId, Integer sizeMib) throws IOException {
        Path dir = root.resolve(volumeId);
        if (Files.isRegularFile(dir.resolve("image"))) return VolumeDisk.open(dir);
        return VolumeDisk.create(dir, sizeMib == null ? 1 : sizeMib);
    }

    @Override
    public void detach(String executionId) {
        inUse.values().removeIf(executionId::equals);
        immutable.unpin(executionId);
        List<VolumeDisk> disks = ephemeral.remove(executionId);
        if (disks != null) for (VolumeDisk d : disks) destroyQuietly(d.dir());
    }

    @Override
    public boolean finalSnapshot(String itemHash, long epoch) {
        Followed f = followed.get(itemHash);
        if (f == null || f.epoch != epoch) return true;
        synchronized (f) {
            boolean all = true;
            for (Vol v : f.volumes) {
                boolean done = false;
                for (int attempt = 1; attempt <= 3 && !done; attempt++) {
                    try {
                        SnapshotResult r = snapshot(v);
                        note(f, r);
                        done = r.outcome() != SnapshotResult.Outcome.REFUSED;
                        if (!done) break;
                    } catch (IOException | RuntimeException e) {
                        f.lastError = e.getMessage();
                        log.warn("final snapshot of a volume of {} failed (attempt {}): {}", itemHash, attempt, e.getMessage());
                    }
                }
                all &= done;
            }
            log.info("final snapshots of {} (epoch {}): {}", itemHash, epoch, all ? "accepted" : "NOT all accepted");
            return all;
        }
    }

    @Override
    public void forget(String itemHash, long epoch) {
        Followed f = followed.get(itemHash);
        if (f != null && f.epoch == epoch && followed.remove(itemHash, f)) {
            synchronized (f) {
                log.info("no more snapshots of {} (epoch {})", itemHash, f.epoch);
            }
        }
    }

    /** One round of the periodic snapshots: every followed volume, one after the other. */
    private void snapshotAll() {
        for (Followed f : followed.values()) {
            synchronized (f) {
                if (followed.get(f.itemHash) != f) continue; // forgotten meanwhile
                for (Vol v : f.volumes) {
                    try {
                        note(f, snapshot(v));
                        f.failuresInARow = 0;
                    } catch (IOException | RuntimeException e) {
                        f.lastError = e.getMessage();
                        if (f.failuresInARow++ % 30 == 0) {
                            log.warn("snapshot of a volume of {} failed ({} in a row; the program keeps running): {}", f.itemHash,
                                    f.failuresInARow, e.getMessage());
                        }
                    }
                }
            }
        }
    }

    private SnapshotResult snapshot(Vol v) throws IOException {
        synchronized (lockOf(v.id())) {
            return v.snapshots().snapshotNow();
        }
    }

    private Object lockOf(String volumeId) {
        return diskLocks.computeIfAbsent(volumeId, k -> new Object());
    }

    private static void note(Followed f, SnapshotResult r) {
        if (r.outcome() == SnapshotResult.Outcome.ACCEPTED) {
            f.lastAcceptedMs = System.currentTimeMillis();
            f.lastError = null;
            f.last.put(Long.toString(r.seq()), r);
            if (f.last.size() > 1) f.last.keySet().removeIf(k -> !k.equals(Long.toString(r.seq())));
        } else if (r.outcome() == SnapshotResult.Outcome.REFUSED) {
            f.lastError = "snapshot refused by the scheduler: this node no longer holds the lease under epoch " + f.epoch;
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", unavailable == null);
        if (unavailable != null) m.put("reason", unavailable);
        m.put("engine", "btrfs loop image per volume, send/receive snapshots");
        m.put("snapshot_interval_ms", interval.toMillis());
        m.put("follows_program", network != null);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Followed f : followed.values()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("item_hash", f.itemHash);
            e.put("epoch", f.epoch);
            e.put("volumes", f.volumes.size());
            e.put("last_accepted_snapshot_age_ms", System.currentTimeMillis() - f.lastAcceptedMs);
            e.put("last_error", f.lastError);
            list.add(e);
        }
        m.put("snapshotting", list);
        return m;
    }

    /** Stops snapshotting and unmounts every volume (after the node's executions stopped). */
    @Override
    public void close() {
        timer.shutdownNow();
        followed.clear();
        if (unavailable != null) return;
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                if (d.getFileName().toString().equals("ephemeral")) {
                    try (var e = Files.list(d)) {
                        for (Path p : e.toList()) destroyQuietly(p);
                    }
                } else if (Files.isRegularFile(d.resolve("image"))) {
                    try {
                        VolumeDisk.open(d).unmount();
                    } catch (IOException | RuntimeException ex) {
                        log.warn("could not unmount volume {}: {}", d, ex.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            log.warn("could not list {}: {}", root, e.getMessage());
        }
    }

    private static void destroyQuietly(Path dir) {
        try {
            if (Files.isRegularFile(dir.resolve("image"))) VolumeDisk.open(dir).destroy();
            else org.aleph4j.crn.execution.HostFiles.deleteWorkDir(dir);
        } catch (IOException | RuntimeException e) {
            log.warn("could not remove the ephemeral volume {}: {}", dir, e.getMessage());
        }
    }
}

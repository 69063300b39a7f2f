package org.aleph4j.scheduler.store;

/** Rows of the scheduler database. */
public final class Records {
    private Records() {}

    /**
     * A registered CRN. {@code runtimes} and {@code executions} are JSON text; {@code executor} is the
     * executor it last reported (null: unknown) and {@code isolated} whether that executor isolates programs.
     */
    public record NodeRow(String address, String nodeHash, String url, int vcpus, long memoryMib, long diskMib,
                          String runtimes, String version, String executions, long lastSeenMs, String executor,
                          boolean isolated, boolean volumes) {
        /** A node that says nothing of volumes (it mounts none). */
        public NodeRow(String address, String nodeHash, String url, int vcpus, long memoryMib, long diskMib,
                       String runtimes, String version, String executions, long lastSeenMs, String executor,
                       boolean isolated) {
            this(address, nodeHash, url, vcpus, memoryMib, diskMib, runtimes, version, executions, lastSeenMs, executor,
                    isolated, false);
        }

        /** A node that reported no executor (not isolating). */
        public NodeRow(String address, String nodeHash, String url, int vcpus, long memoryMib, long diskMib,
                       String runtimes, String version, String executions, long lastSeenMs) {
            this(address, nodeHash, url, vcpus, memoryMib, diskMib, runtimes, version, executions, lastSeenMs, null, false);
        }
    }

    /**
     * A persistent program. {@code status} is {@code active} or {@code removed}; {@code avoid} is a JSON
     * list; {@code volumes} the JSON of its {@link ProgramVolumes} (null: none); {@code migrateTarget} a
     * migration its owner asked for (a node hash, {@code ""} for any other node; null: none) away from
     * {@code migrateFrom}.
     */
    public record ProgramRow(String itemHash, String owner, int vcpus, long memoryMib, String runtime,
                             String requirements, String status, String removedReason, String unschedulableReason,
                             String avoid, long epoch, long createdMs, String volumes, String migrateTarget,
                             String migrateFrom) {
        /** A program without volumes or migration. */
        public ProgramRow(String itemHash, String owner, int vcpus, long memoryMib, String runtime, String requirements,
                          String status, String removedReason, String unschedulableReason, String avoid, long epoch,
                          long createdMs) {
            this(itemHash, owner, vcpus, memoryMib, runtime, requirements, status, removedReason, unschedulableReason,
                    avoid, epoch, createdMs, null, null, null);
        }
    }

    /**
     * The volumes of a program as the scheduler needs them: whether it has any (then only nodes that
     * mount volumes can run it) and its persistent ones, by volume id.
     */
    public record ProgramVolumes(boolean any, java.util.List<PersistentVolume> persistent) {
        public ProgramVolumes {
            persistent = persistent == null ? java.util.List.of() : java.util.List.copyOf(persistent);
        }

        public static final ProgramVolumes NONE = new ProgramVolumes(false, java.util.List.of());
    }

    /** A persistent volume of a program: its id ({@code VolumeIds}), name, mount point and size. */
    public record PersistentVolume(String volumeId, String name, String mount, Integer sizeMib) {}

    /** A stored volume: owner, key (hex), newest accepted snapshot seq (0: none). */
    public record VolumeRow(String volumeId, String owner, String volumeKey, long headSeq, long createdMs) {}

    /** An accepted snapshot ({@code parts} is a JSON list of content refs). */
    public record SnapshotRow(String volumeId, long seq, Long parentSeq, long epoch, String itemHash, String nodeAddress,
                              boolean full, long bytes, String parts, long timeMs) {}

    /** A restore plan given to a node ({@code seq} null: the volume had no snapshot). */
    public record RestoreRow(String volumeId, String itemHash, String nodeAddress, long epoch, Long seq, long timeMs) {}

    /** Program allocated to a node under an epoch, since when, and the last lease grant (wall ms, for display). */
    public record AllocationRow(String itemHash, String nodeAddress, long epoch, long sinceMs, long lastGrantMs) {}

    /** One scheduling event. */
    public record HistoryRow(String itemHash, long timeMs, String fromNode, String toNode, Long epoch, String reason) {}

    /** Who leads, until when (epoch ms on the database's clock), and the incarnation of that leadership. */
    public record LeaderRow(String holder, String url, long expiresMs, long incarnation) {}
}

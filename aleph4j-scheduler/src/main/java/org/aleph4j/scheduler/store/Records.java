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
                          boolean isolated) {
        /** A node that reported no executor (not isolating). */
        public NodeRow(String address, String nodeHash, String url, int vcpus, long memoryMib, long diskMib,
                       String runtimes, String version, String executions, long lastSeenMs) {
            this(address, nodeHash, url, vcpus, memoryMib, diskMib, runtimes, version, executions, lastSeenMs, null, false);
        }
    }

    /** A persistent program. {@code status} is {@code active} or {@code removed}; {@code avoid} is a JSON list. */
    public record ProgramRow(String itemHash, String owner, int vcpus, long memoryMib, String runtime,
                             String requirements, String status, String removedReason, String unschedulableReason,
                             String avoid, long epoch, long createdMs) {}

    /** Program allocated to a node under an epoch, since when, and the last lease grant (wall ms, for display). */
    public record AllocationRow(String itemHash, String nodeAddress, long epoch, long sinceMs, long lastGrantMs) {}

    /** One scheduling event. */
    public record HistoryRow(String itemHash, long timeMs, String fromNode, String toNode, Long epoch, String reason) {}

    /** Who leads, until when (epoch ms on the database's clock), and the incarnation of that leadership. */
    public record LeaderRow(String holder, String url, long expiresMs, long incarnation) {}
}

package org.aleph4j.crn.lease;

import java.time.Duration;
import java.util.List;

/** What the CRN's execution side offers the lease keeper for persistent programs. */
public interface PersistentHost {
    /**
     * Starts {@code itemHash} as a persistent execution under {@code epoch} unless it already runs
     * with that epoch; returns at once (preparing and starting continue in the background). The
     * execution's out-of-JVM watchdog kills it when {@code fence} elapses without a renewal.
     */
    void ensureRunning(String itemHash, long epoch, Duration fence);

    /** Pushes the fence of a running persistent execution {@code remaining} into the future (fed to its watchdog). */
    void renewLease(String itemHash, long epoch, Duration remaining);

    /** Stops a persistent execution (lease lost, released, unpersisted or forgotten). */
    void stop(String itemHash, String reason);

    /**
     * Hands {@code itemHash} over (a migration, or the node draining): stops it for good, then takes
     * the final snapshot of its volumes while the lease still holds; blocks until done. Meanwhile it is
     * reported {@code DRAINING}, and renewals of its lease keep it without starting it again. True when
     * the final snapshots were accepted (or there were none).
     */
    default boolean drain(String itemHash, long epoch) {
        stop(itemHash, "handed over");
        return true;
    }

    /** The node is draining: programs allocated from now on are not started. */
    default void refuseNewPrograms() {}

    /** Persistent executions on this node, for heartbeats. */
    List<PersistentStatus> persistentExecutions();

    /** State is one of DEFINED, PREPARING, STARTING, RUNNING, STOPPING, STOPPED, FAILED, DRAINING. */
    record PersistentStatus(String itemHash, long epoch, String state, int restarts, String lastError) {}
}

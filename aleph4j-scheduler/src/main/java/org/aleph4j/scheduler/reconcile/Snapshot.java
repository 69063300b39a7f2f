package org.aleph4j.scheduler.reconcile;

import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.placement.NodeCandidate;
import org.aleph4j.scheduler.placement.NodeRequirements;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the reconciler sees: known nodes with their last heartbeat, active programs in priority order,
 * the leases held, programs quarantined until a monotonic time, why programs lost their last node,
 * the unschedulable reasons already recorded, and when this scheduler started leading. Times are the
 * scheduler's monotonic nanoseconds.
 */
public record Snapshot(long nowNanos, long leaderSinceNanos, List<NodeState> nodes, List<ProgramState> programs,
                       List<Lease> leases, Map<String, Long> quarantinedUntil, Map<String, Loss> losses,
                       Map<String, String> unschedulable) {
    public Snapshot {
        nodes = List.copyOf(nodes);
        programs = List.copyOf(programs);
        leases = List.copyOf(leases);
        quarantinedUntil = Map.copyOf(quarantinedUntil);
        losses = Map.copyOf(losses);
        unschedulable = Map.copyOf(unschedulable);
    }

    /** A node that heartbeated at {@code lastHeartbeatNanos}; a draining node takes no new programs. */
    public record NodeState(NodeCandidate candidate, long lastHeartbeatNanos, boolean draining) {}

    /**
     * An active persistent program: its demand, nodes it avoids, its stored epoch (0: never placed),
     * whether it has volumes, and the ids of its persistent volumes (no two allocated programs share one).
     */
    public record ProgramState(String itemHash, int vcpus, long memoryMib, String runtime, NodeRequirements requirements,
                               Set<String> avoid, long epoch, boolean needsVolumes, Set<String> volumeIds) {
        public ProgramState {
            avoid = avoid == null ? Set.of() : Set.copyOf(avoid);
            volumeIds = volumeIds == null ? Set.of() : Set.copyOf(volumeIds);
        }

        /** A program without volumes. */
        public ProgramState(String itemHash, int vcpus, long memoryMib, String runtime, NodeRequirements requirements,
                            Set<String> avoid, long epoch) {
            this(itemHash, vcpus, memoryMib, runtime, requirements, avoid, epoch, false, Set.of());
        }
    }

    /** The node a program lost and why, for the history line of its next placement. */
    public record Loss(String fromNode, String why) {}
}

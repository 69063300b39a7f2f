package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * Answer to a heartbeat: every program allocated to the node, with its fencing epoch and lease.
 * A program absent from {@code allocations} must not run on that node.
 */
public record HeartbeatReply(String nodeAddress, long leaseTtlMs, List<LeaseGrant> allocations, double serverTime) {
    public HeartbeatReply {
        allocations = allocations == null ? List.of() : List.copyOf(allocations);
    }
}

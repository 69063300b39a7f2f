package org.aleph4j.scheduler.lease;

/**
 * A lease held by a node: program, holder, fencing epoch, last renewal granted (monotonic nanos of
 * the scheduler), and whether it is being revoked (no longer renewed, waiting to lapse).
 */
public record Lease(String itemHash, String nodeAddress, long epoch, long lastGrantNanos, boolean revoking) {
    Lease renewed(long now) {
        return new Lease(itemHash, nodeAddress, epoch, now, revoking);
    }

    Lease revoked() {
        return new Lease(itemHash, nodeAddress, epoch, lastGrantNanos, true);
    }
}

package org.aleph4j.client.scheduler;

/**
 * One program allocated to the heartbeating CRN. The lease is valid for {@code leaseMs} counted on
 * the CRN's own monotonic clock from the moment it SENT the heartbeat this grant answers. With
 * {@code drain} the owner asked to move the program: the node stops it, takes a final snapshot of
 * its volumes and releases it (the lease holds meanwhile).
 */
public record LeaseGrant(String itemHash, long epoch, long leaseMs, boolean drain) {
    public LeaseGrant(String itemHash, long epoch, long leaseMs) {
        this(itemHash, epoch, leaseMs, false);
    }
}

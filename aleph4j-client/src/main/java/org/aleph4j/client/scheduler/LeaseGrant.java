package org.aleph4j.client.scheduler;

/**
 * One program allocated to the heartbeating CRN. The lease is valid for {@code leaseMs} counted on
 * the CRN's own monotonic clock from the moment it SENT the heartbeat this grant answers.
 */
public record LeaseGrant(String itemHash, long epoch, long leaseMs) {}

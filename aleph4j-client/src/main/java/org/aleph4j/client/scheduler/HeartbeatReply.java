package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * Answer to a heartbeat: every program allocated to the node, with its fencing epoch and lease.
 * A program absent from {@code allocations} must not run on that node.
 *
 * <p>The scheduler signs the exact bytes of this answer with its own key (EIP-191, response header
 * {@value SchedulerClient#SIGNATURE_HEADER}); {@code schedulerAddress} names that key,
 * {@code nonce} echoes the nonce of the heartbeat it answers and {@code incarnation} is the
 * scheduler incarnation that granted it. A CRN uses an answer only when all three check out (see
 * {@link HeartbeatAnswer}).
 *
 * <p>{@code session} is present only in a signed answer to a heartbeat that asked for a session: its
 * id and secret (sealed to the node's key); answers in that session carry an HMAC instead of a signature.
 */
public record HeartbeatReply(String nodeAddress, long leaseTtlMs, List<LeaseGrant> allocations, double serverTime,
                             String schedulerAddress, long incarnation, String nonce, SessionGrant session) {
    public HeartbeatReply {
        allocations = allocations == null ? List.of() : List.copyOf(allocations);
    }

    /** An answer that opens no session. */
    public HeartbeatReply(String nodeAddress, long leaseTtlMs, List<LeaseGrant> allocations, double serverTime,
                          String schedulerAddress, long incarnation, String nonce) {
        this(nodeAddress, leaseTtlMs, allocations, serverTime, schedulerAddress, incarnation, nonce, null);
    }
}

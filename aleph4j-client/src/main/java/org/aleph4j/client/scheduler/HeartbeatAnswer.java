package org.aleph4j.client.scheduler;

/**
 * What came back for one heartbeat, with the address that signed the exact bytes of the answer
 * ({@code signer}; null when the answer carried no signature or one that recovers no key). The
 * client only reports who signed: whether to trust it is the CRN's decision
 * ({@code org.aleph4j.crn.lease.LeaseDecisions}).
 */
public sealed interface HeartbeatAnswer permits HeartbeatAnswer.Granted, HeartbeatAnswer.IncarnationChanged {
    /** The heartbeat as it was sent (its nonce and incarnation are what the answer must match). */
    Heartbeat sent();

    /** Lowercase 0x address that signed the answer, or null. */
    String signer();

    /** The scheduler served the heartbeat: its allocations for this node. */
    record Granted(Heartbeat sent, HeartbeatReply reply, String signer) implements HeartbeatAnswer {}

    /**
     * The scheduler refused the heartbeat because it named another incarnation than the current one
     * (HTTP 409, {@code error_code} {@value #ERROR_CODE}); the node may retry at once with
     * {@code notice.incarnation()} if it trusts the signer.
     */
    record IncarnationChanged(Heartbeat sent, Notice notice, String signer) implements HeartbeatAnswer {
        /** {@code error_code} of the refusal. */
        public static final int ERROR_CODE = 5;
    }

    /** The {@code details} of an incarnation refusal: who refused, its current incarnation, and the nonce it answers. */
    record Notice(String schedulerAddress, long incarnation, String nonce, String nodeAddress) {}
}

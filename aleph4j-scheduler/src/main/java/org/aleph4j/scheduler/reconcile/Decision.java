package org.aleph4j.scheduler.reconcile;

import org.aleph4j.scheduler.lease.Lease;

/** One thing the reconciler decided; {@link SchedulingState#apply} carries it out. */
public sealed interface Decision {
    String itemHash();

    /** The lease lapsed ({@code lease_ttl + drift} after its last grant): the allocation ends, the program may move. */
    record Lapse(Lease lease, String why) implements Decision {
        public String itemHash() {
            return lease.itemHash();
        }

        /** The line in the program's history. */
        public String historyReason() {
            return "lease lapsed: " + why;
        }
    }

    /**
     * The program is no longer active (removed by another process): its lease is no longer renewed and
     * it is quarantined until that lease could have lapsed, in case it comes back.
     */
    record Deallocate(String itemHash, String reason) implements Decision {}

    /**
     * The program goes to {@code nodeAddress} under {@code epoch}, one past its stored epoch (the store
     * bumps it atomically, and the epoch it answers is the one granted). {@code fromNode} is the node it
     * lost last, or null when this is its first placement since it last ran.
     */
    record Place(String itemHash, String nodeAddress, long epoch, String fromNode, String reason) implements Decision {}

    /** The program fits on no live node, for this reason (a new one: unchanged reasons are not repeated). */
    record MarkUnschedulable(String itemHash, String reason) implements Decision {}

    /** The lease is no longer renewed (crash loop, executor that does not isolate): it lapses, then the program moves. */
    record Revoke(Lease lease, String why) implements Decision {
        public String itemHash() {
            return lease.itemHash();
        }

        /** The line in the program's history. */
        public String historyReason() {
            return "revoking: " + why;
        }
    }

    /** The program must not be placed on {@code nodeAddress} again (it crash-looped there). */
    record Avoid(String itemHash, String nodeAddress) implements Decision {}
}

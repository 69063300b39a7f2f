package org.aleph4j.scheduler.lease;

import java.time.Duration;

/**
 * Lease timings. A CRN holds a lease for {@code leaseTtl} from the moment it sent the heartbeat that
 * was answered; the scheduler waits {@code leaseTtl + driftMargin} after its last grant before it
 * treats the lease as gone, the margin covering clock-rate differences between the two machines.
 * The CRN's side of the rule (what is left of a lease when the answer arrives) is
 * {@code org.aleph4j.crn.lease.LeaseDecisions}.
 */
public record LeasePolicy(Duration leaseTtl, Duration driftMargin) {
    public static final LeasePolicy DEFAULT = new LeasePolicy(Duration.ofSeconds(5), Duration.ofSeconds(2));

    public LeasePolicy {
        if (leaseTtl.isNegative() || leaseTtl.isZero()) throw new IllegalArgumentException("lease_ttl must be positive");
        if (driftMargin.isNegative()) throw new IllegalArgumentException("drift_margin must not be negative");
    }

    /** Nanoseconds after a grant before the scheduler may give the program to another node. */
    public long fenceNanos() {
        return leaseTtl.toNanos() + driftMargin.toNanos();
    }

    /** True once the lease granted at {@code lastGrantNanos} can no longer be believed by its holder. */
    public boolean lapsed(long lastGrantNanos, long nowNanos) {
        return nowNanos - lastGrantNanos > fenceNanos();
    }
}

/**
 * Lease rules of the scheduler, pure and clock-free: times are monotonic nanoseconds passed in by
 * the caller. A program is given to a second node only after {@code lease_ttl + drift_margin} has
 * passed since the last renewal granted to the first (ARCHITECTURE §5.3).
 */
package org.aleph4j.scheduler.lease;

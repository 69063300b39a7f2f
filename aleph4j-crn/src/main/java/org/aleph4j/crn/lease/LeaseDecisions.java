package org.aleph4j.crn.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.aleph4j.client.scheduler.LeaseGrant;

/**
 * The CRN's reading of one heartbeat answer, as a pure function: which allocations to start,
 * renew, ignore, and which held programs to stop. No clock (times are monotonic nanoseconds given
 * by the caller), no I/O. The lease rules live here once:
 * <ul>
 *   <li>an allocation whose epoch is older than one already seen for that program is ignored
 *       (fencing: a late answer cannot bring back a superseded copy);</li>
 *   <li>a lease counts from the moment the heartbeat was <em>sent</em>: what is left is
 *       {@code lease − (now − sentAt)}; an answer that arrives after its lease ran out is ignored;</li>
 *   <li>no lease is honoured for longer than {@link #MAX_LEASE}, whatever the answer says: a
 *       wrong or forged answer cannot keep a program running for hours without renewals;</li>
 *   <li>a held program at the granted epoch that still runs is renewed; anything else granted is
 *       started (or restarted at the new epoch);</li>
 *   <li>a held program not validly granted by the answer (missing, stale, or too late) is stopped:
 *       without a usable lease its watchdog would kill it anyway.</li>
 * </ul>
 */
public final class LeaseDecisions {
    /** The longest lease a CRN honours (the scheduler's default is 5 s). */
    public static final Duration MAX_LEASE = Duration.ofSeconds(60);

    private LeaseDecisions() {}

    /** What to do with one program. */
    public sealed interface Decision permits Start, Renew, Stop, Ignore {
        String itemHash();
    }

    /** Start (or restart at a new epoch) with {@code remaining} of lease. */
    public record Start(String itemHash, long epoch, Duration remaining) implements Decision {}

    /** The same epoch runs here: move its fence {@code remaining} into the future. */
    public record Renew(String itemHash, long epoch, Duration remaining) implements Decision {}

    /** No longer allocated here. */
    public record Stop(String itemHash) implements Decision {}

    /** Not acted upon, and why (stale epoch, lease already over). */
    public record Ignore(String itemHash, long epoch, String why) implements Decision {}

    /** The decisions, in the answer's order (stops last), and the highest epoch seen per program afterwards. */
    public record Plan(List<Decision> decisions, Map<String, Long> highestEpochs) {
        public Plan {
            decisions = List.copyOf(decisions);
            highestEpochs = Map.copyOf(highestEpochs);
        }
    }

    /**
     * @param allocations   the answer's allocations for this node
     * @param sentNanos     when the answered heartbeat was sent (monotonic)
     * @param nowNanos      now, on the same clock
     * @param held          programs this node started under a lease, with their epochs
     * @param running       {@code itemHash/epoch} of persistent executions that are neither stopped nor failed
     * @param highestEpochs highest epoch seen so far per program
     */
    public static Plan decide(List<LeaseGrant> allocations, long sentNanos, long nowNanos, Map<String, Long> held,
                              Set<String> running, Map<String, Long> highestEpochs) {
        Map<String, Long> highest = new HashMap<>(highestEpochs);
        List<Decision> out = new ArrayList<>();
        Set<String> granted = new HashSet<>();
        long elapsed = nowNanos - sentNanos;
        for (LeaseGrant g : allocations) {
            long seen = highest.getOrDefault(g.itemHash(), 0L);
            if (g.epoch() < seen) {
                out.add(new Ignore(g.itemHash(), g.epoch(), "epoch " + g.epoch() + " is older than " + seen));
                continue;
            }
            highest.put(g.itemHash(), g.epoch());
            Duration lease = Duration.ofMillis(Math.min(Math.max(0, g.leaseMs()), MAX_LEASE.toMillis()));
            Duration remaining = lease.minusNanos(elapsed);
            if (remaining.isNegative() || remaining.isZero()) {
                out.add(new Ignore(g.itemHash(), g.epoch(), "answered " + (-remaining.toMillis()) + " ms after the lease ran out"));
                continue;
            }
            granted.add(g.itemHash());
            Long heldEpoch = held.get(g.itemHash());
            if (heldEpoch != null && heldEpoch == g.epoch() && running.contains(g.itemHash() + "/" + g.epoch())) {
                out.add(new Renew(g.itemHash(), g.epoch(), remaining));
            } else {
                out.add(new Start(g.itemHash(), g.epoch(), remaining));
            }
        }
        for (String item : held.keySet()) {
            if (!granted.contains(item)) out.add(new Stop(item));
        }
        return new Plan(out, highest);
    }
}

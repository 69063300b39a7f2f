package org.aleph4j.crn.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.LeaseGrant;

/**
 * The CRN's reading of one heartbeat answer, as a pure function: whether the answer may be used at
 * all, and then which allocations to start, renew, ignore, and which held programs to stop. No clock
 * (times are monotonic nanoseconds given by the caller), no I/O. The lease rules live here once.
 *
 * <p>An answer is used only when (otherwise it is {@link Ignored} as a whole: nothing starts, nothing
 * is renewed, nothing is stopped, and the watchdogs fence what runs when its lease runs out):
 * <ul>
 *   <li>it is signed, by a key this CRN trusts ({@link Trust#schedulers}), and names that key;</li>
 *   <li>it echoes the nonce of the heartbeat it answers (a recorded answer cannot be replayed);</li>
 *   <li>it comes from an incarnation no older than the newest this CRN has seen (a deposed leader
 *       cannot grant after its successor did);</li>
 *   <li>no grant in it is longer than {@link Trust#maxLease}: a misconfigured or forged scheduler
 *       cannot keep a program running for minutes without renewals.</li>
 * </ul>
 * Then, per allocation:
 * <ul>
 *   <li>an allocation whose epoch is older than one already seen for that program is ignored
 *       (fencing: a late answer cannot bring back a superseded copy);</li>
 *   <li>a lease counts from the moment the heartbeat was <em>sent</em>: what is left is
 *       {@code lease − (now − sentAt)}; an answer that arrives after its lease ran out is ignored;</li>
 *   <li>a held program at the granted epoch that still runs is renewed; anything else granted is
 *       started (or restarted at the new epoch);</li>
 *   <li>a held program not validly granted by the answer (missing, stale, or too late) is stopped:
 *       without a usable lease its watchdog would kill it anyway.</li>
 * </ul>
 * A signed refusal naming a newer incarnation ({@link HeartbeatAnswer.IncarnationChanged}) passes the
 * same signature and nonce checks and then tells the CRN to {@link RetryWith retry at once} with it.
 */
public final class LeaseDecisions {
    /** The longest lease a CRN can be configured to honour (the scheduler's default is 5 s). */
    public static final Duration MAX_LEASE = Duration.ofSeconds(60);
    /** The default cap: twice the scheduler's default lease. */
    public static final Duration DEFAULT_MAX_LEASE = Duration.ofSeconds(10);

    private LeaseDecisions() {}

    /**
     * Whom the CRN believes: the scheduler key addresses it trusts (lowercase, from
     * {@code scheduler-addresses}) and the longest lease it honours.
     */
    public record Trust(Set<String> schedulers, Duration maxLease) {
        public Trust {
            if (schedulers == null || schedulers.isEmpty()) {
                throw new IllegalArgumentException("at least one trusted scheduler address is needed (scheduler-addresses)");
            }
            for (String a : schedulers) {
                if (a == null || !a.matches("0x[0-9a-fA-F]{40}")) {
                    throw new IllegalArgumentException("scheduler address must be 0x and 40 hex digits, got '" + a + "'");
                }
            }
            schedulers = schedulers.stream().map(a -> a.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
            if (maxLease == null || maxLease.isNegative() || maxLease.isZero() || maxLease.compareTo(MAX_LEASE) > 0) {
                throw new IllegalArgumentException("max-lease must be positive and at most " + MAX_LEASE.toSeconds()
                        + " s, got " + maxLease);
            }
        }

        /** Trusting these addresses, with the default cap. */
        public static Trust of(Set<String> schedulers) {
            return new Trust(schedulers, DEFAULT_MAX_LEASE);
        }
    }

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

    /** The verdict on a whole answer. */
    public sealed interface Verdict permits Apply, RetryWith, Ignored {}

    /** A valid grant: carry out {@code plan}; {@code incarnation} is the newest seen from now on. */
    public record Apply(Plan plan, long incarnation) implements Verdict {}

    /** A valid refusal naming a newer incarnation: remember it and send the heartbeat again at once. */
    public record RetryWith(long incarnation) implements Verdict {}

    /** Not used at all, and why. */
    public record Ignored(String why) implements Verdict {}

    /**
     * @param answer             the answer and who signed it
     * @param trust              trusted scheduler keys and the lease cap
     * @param highestIncarnation the newest scheduler incarnation seen so far (0: none)
     * @param sentNanos          when the answered heartbeat was sent (monotonic)
     * @param nowNanos           now, on the same clock
     * @param held               programs this node started under a lease, with their epochs
     * @param running            {@code itemHash/epoch} of persistent executions that are neither stopped nor failed
     * @param highestEpochs      highest epoch seen so far per program
     */
    public static Verdict judge(HeartbeatAnswer answer, Trust trust, long highestIncarnation, long sentNanos, long nowNanos,
                                Map<String, Long> held, Set<String> running, Map<String, Long> highestEpochs) {
        return switch (answer) {
            case HeartbeatAnswer.Granted g -> {
                HeartbeatReply r = g.reply();
                String why = refusal(g.signer(), r.schedulerAddress(), r.nonce(), r.incarnation(), g.sent().nonce(), trust,
                        highestIncarnation);
                if (why == null) why = overCap(r.allocations(), trust.maxLease());
                yield why != null ? new Ignored(why)
                        : new Apply(decide(r.allocations(), sentNanos, nowNanos, held, running, highestEpochs),
                        Math.max(highestIncarnation, r.incarnation()));
            }
            case HeartbeatAnswer.IncarnationChanged c -> {
                HeartbeatAnswer.Notice n = c.notice();
                String why = refusal(c.signer(), n.schedulerAddress(), n.nonce(), n.incarnation(), c.sent().nonce(), trust,
                        highestIncarnation);
                if (why == null && n.incarnation() <= c.sent().incarnation()) {
                    why = "the scheduler refused incarnation " + c.sent().incarnation() + " but names no newer one ("
                            + n.incarnation() + ")";
                }
                yield why != null ? new Ignored(why) : new RetryWith(n.incarnation());
            }
        };
    }

    /** Why an answer signed by {@code signer} is not to be believed, or null. */
    private static String refusal(String signer, String claimed, String echoedNonce, long incarnation, String sentNonce,
                                  Trust trust, long highestIncarnation) {
        if (signer == null) return "the answer is not signed";
        String s = signer.toLowerCase(Locale.ROOT);
        if (!trust.schedulers().contains(s)) {
            return "the answer is signed by " + s + ", which is not a trusted scheduler (scheduler-addresses: "
                    + String.join(",", trust.schedulers()) + ")";
        }
        if (claimed == null || !claimed.equalsIgnoreCase(s)) {
            return "the answer names scheduler " + claimed + " but is signed by " + s;
        }
        if (sentNonce == null || !sentNonce.equals(echoedNonce)) {
            return "the answer is for another heartbeat (nonce " + echoedNonce + ", sent " + sentNonce + ")";
        }
        if (incarnation < highestIncarnation) {
            return "the answer comes from scheduler incarnation " + incarnation + ", older than " + highestIncarnation
                    + " already seen";
        }
        return null;
    }

    private static String overCap(List<LeaseGrant> grants, Duration cap) {
        for (LeaseGrant g : grants) {
            if (g.leaseMs() > cap.toMillis()) {
                return "the answer grants " + g.itemHash() + " a lease of " + g.leaseMs() + " ms, more than the "
                        + cap.toMillis() + " ms this CRN honours (max-lease)";
            }
        }
        return null;
    }

    /**
     * The per-allocation rules for an answer already judged valid ({@link #judge} calls it).
     *
     * @param allocations   the answer's allocations for this node
     * @param sentNanos     when the answered heartbeat was sent (monotonic)
     * @param nowNanos      now, on the same clock
     * @param held          programs this node started under a lease, with their epochs
     * @param running       {@code itemHash/epoch} of persistent executions that are neither stopped nor failed
     * @param highestEpochs highest epoch seen so far per program
     */
    static Plan decide(List<LeaseGrant> allocations, long sentNanos, long nowNanos, Map<String, Long> held,
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
            // judge() refused leases over the cap already; the clamp keeps this rule safe on its own
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

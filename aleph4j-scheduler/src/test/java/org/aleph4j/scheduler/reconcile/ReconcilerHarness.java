package org.aleph4j.scheduler.reconcile;

import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.lease.LeasePolicy;
import org.aleph4j.scheduler.placement.NodeCandidate;
import org.aleph4j.scheduler.placement.NodeRequirements;
import org.aleph4j.scheduler.reconcile.Snapshot.NodeState;
import org.aleph4j.scheduler.reconcile.Snapshot.ProgramState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Drives a {@link Reconciler} over an in-memory world: nodes that heartbeat, a program table that
 * stands in for the database, and a manual monotonic clock. Every pass's decisions are recorded as a
 * plan, and the sink records what would have been written, so tests assert on both without a
 * database or sleeping.
 */
final class ReconcilerHarness {
    static final String RT = "runtime-a";
    /** lease_ttl 5 s + drift 2 s: a lease lapses 7 s after its last grant. */
    static final LeasePolicy POLICY = new LeasePolicy(Duration.ofSeconds(5), Duration.ofSeconds(2));
    static final long FENCE = POLICY.fenceNanos();

    final Reconciler reconciler;
    final SchedulingState state = new SchedulingState(POLICY);
    final RecordingSink sink = new RecordingSink();
    final List<List<Decision>> plans = new ArrayList<>();
    private final Map<String, NodeState> nodes = new LinkedHashMap<>();
    /** Active programs in priority order, as the database would list them. */
    private final Map<String, ProgramState> programs = new LinkedHashMap<>();
    private long now = 1_000_000_000L;

    ReconcilerHarness(boolean requireIsolation) {
        reconciler = new Reconciler(POLICY, Duration.ofSeconds(1), requireIsolation);
        state.lead(List.of(), now);
    }

    ReconcilerHarness() {
        this(false);
    }

    long now() {
        return now;
    }

    void advance(Duration d) {
        now += d.toNanos();
    }

    void advanceNanos(long nanos) {
        now += nanos;
    }

    /** This scheduler takes over now, adopting stored allocations as granted now. */
    void takeOver(Lease... stored) {
        state.lead(List.of(stored), now);
    }

    void program(String itemHash, long storedEpoch) {
        programs.put(itemHash, new ProgramState(itemHash, 1, 1024, RT, NodeRequirements.NONE, Set.of(), storedEpoch));
    }

    void program(String itemHash) {
        program(itemHash, 0);
    }

    /** Another process marked the program removed in the database. */
    void deactivate(String itemHash) {
        programs.remove(itemHash);
    }

    ProgramState stored(String itemHash) {
        return programs.get(itemHash);
    }

    /**
     * The node heartbeats now with these executions: the heartbeat's decisions are applied (recorded
     * as a plan), then its leases are renewed; returns the renewed leases, i.e. the grants it receives.
     */
    List<Lease> heartbeat(String address, String executor, boolean isolated, ExecutionReport... executions) {
        nodes.put(address, new NodeState(new NodeCandidate(address, "hash-" + address, "http://" + address,
                4, 8192, Set.of(RT), executor, isolated), now, false));
        List<Decision> plan = reconciler.heartbeat(new NodeReport(address, executor, isolated, List.of(executions)),
                state.leases());
        record(plan);
        return state.renew(address, now);
    }

    List<Lease> heartbeat(String address, ExecutionReport... executions) {
        return heartbeat(address, "sandbox", true, executions);
    }

    /** For {@code seconds} seconds, each second: the nodes heartbeat, then a pass runs. Returns those passes' decisions. */
    List<Decision> steady(int seconds, String... heartbeating) {
        List<Decision> all = new ArrayList<>();
        for (int i = 0; i < seconds; i++) {
            advance(Duration.ofSeconds(1));
            for (String n : heartbeating) heartbeat(n);
            all.addAll(tick());
        }
        return all;
    }

    /** One periodic pass; returns its plan. */
    List<Decision> tick() {
        List<Decision> plan = reconciler.tick(state.snapshot(now, List.copyOf(nodes.values()), List.copyOf(programs.values())));
        record(plan);
        return plan;
    }

    /**
     * The holder hands the program back: it is draining (no new programs until its next heartbeat) and
     * placement runs at once, without a lapse pass. Returns its plan.
     */
    List<Decision> release(String itemHash, String address, long epoch, String why) {
        nodes.computeIfPresent(address, (a, n) -> new NodeState(n.candidate(), n.lastHeartbeatNanos(), true));
        if (state.release(itemHash, address, epoch, why).isEmpty()) return List.of();
        List<Decision> plan = reconciler.placement(state.snapshot(now, List.copyOf(nodes.values()),
                List.copyOf(programs.values())));
        record(plan);
        return plan;
    }

    private void record(List<Decision> plan) {
        plans.add(plan);
        state.apply(plan, now, sink);
    }

    Optional<Lease> lease(String itemHash) {
        return state.lease(itemHash);
    }

    /** Stands in for the scheduler database: epochs bump on allocation, avoid lists grow, history is kept. */
    final class RecordingSink implements PlanSink {
        final List<String> history = new ArrayList<>();
        final Map<String, String> unschedulable = new LinkedHashMap<>();

        @Override
        public void lapse(Decision.Lapse lapse) {
            history.add(lapse.itemHash() + ": " + lapse.historyReason());
        }

        @Override
        public void deallocate(Decision.Deallocate deallocate) {
            history.add(deallocate.itemHash() + ": " + deallocate.reason());
        }

        @Override
        public long place(Decision.Place place) {
            ProgramState p = programs.get(place.itemHash());
            long epoch = p.epoch() + 1;
            programs.put(p.itemHash(), new ProgramState(p.itemHash(), p.vcpus(), p.memoryMib(), p.runtime(),
                    p.requirements(), p.avoid(), epoch));
            unschedulable.remove(place.itemHash());
            history.add(place.itemHash() + ": " + place.reason());
            return epoch;
        }

        @Override
        public void markUnschedulable(Decision.MarkUnschedulable u) {
            unschedulable.put(u.itemHash(), u.reason());
        }

        @Override
        public void revoke(Decision.Revoke revoke) {
            history.add(revoke.itemHash() + ": " + revoke.historyReason());
        }

        @Override
        public void avoid(Decision.Avoid avoid) {
            ProgramState p = programs.get(avoid.itemHash());
            if (p == null) return;
            Set<String> nodes = new HashSet<>(p.avoid());
            nodes.add(avoid.nodeAddress());
            programs.put(p.itemHash(), new ProgramState(p.itemHash(), p.vcpus(), p.memoryMib(), p.runtime(),
                    p.requirements(), nodes, p.epoch()));
        }
    }
}

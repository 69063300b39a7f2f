package org.aleph4j.scheduler.reconcile;

import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.lease.LeasePolicy;
import org.aleph4j.scheduler.placement.NodeCandidate;
import org.aleph4j.scheduler.placement.Placement;
import org.aleph4j.scheduler.placement.Plan;
import org.aleph4j.scheduler.placement.ProgramDemand;
import org.aleph4j.scheduler.reconcile.Snapshot.Loss;
import org.aleph4j.scheduler.reconcile.Snapshot.NodeState;
import org.aleph4j.scheduler.reconcile.Snapshot.ProgramState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scheduler's decisions as a pure function of a {@link Snapshot} (or of a heartbeat and the leases
 * held): which leases lapsed, which allocations end, where pending programs go, which cannot go
 * anywhere and why, which leases to revoke. No clock (times are in the snapshot), no I/O, no threads.
 */
public final class Reconciler {
    /** A program reported FAILED, or restarted this often, is moved to another node. */
    public static final int CRASH_RESTARTS = 10;
    /** How the history line of a crash-loop revocation starts. */
    public static final String CRASH_LOOP = "crash loop on ";

    private final LeasePolicy policy;
    private final long liveWindowNanos;
    private final boolean requireIsolation;

    /**
     * @param heartbeatInterval a node counts as live for three intervals (at least one lease ttl) after its heartbeat
     * @param requireIsolation  persistent programs go only to nodes whose executor isolates them
     */
    public Reconciler(LeasePolicy policy, Duration heartbeatInterval, boolean requireIsolation) {
        this.policy = policy;
        this.liveWindowNanos = Math.max(policy.leaseTtl().toNanos(), heartbeatInterval.toNanos() * 3);
        this.requireIsolation = requireIsolation;
    }

    /** The periodic pass: leases that lapsed end, then pending programs are placed. */
    public List<Decision> tick(Snapshot s) {
        List<Decision> out = new ArrayList<>();
        Map<String, Loss> losses = new HashMap<>(s.losses());
        List<Lease> held = new ArrayList<>();
        for (Lease l : s.leases()) {
            if (!policy.lapsed(l.lastGrantNanos(), s.nowNanos())) {
                held.add(l);
                continue;
            }
            // A revoked lease lapses for the reason it was revoked; any other because its node fell silent.
            String why = l.revoking() ? losses.getOrDefault(l.itemHash(), new Loss(l.nodeAddress(), "revoked")).why()
                    : "node " + l.nodeAddress() + " stopped renewing its lease (no heartbeat answered for "
                    + (policy.fenceNanos() / 1_000_000) + " ms)";
            out.add(new Decision.Lapse(l, why));
            losses.put(l.itemHash(), new Loss(l.nodeAddress(), why));
        }
        place(s, held, losses, out);
        return out;
    }

    /** Placement only, without looking for lapsed leases (right after a node released a program). */
    public List<Decision> placement(Snapshot s) {
        List<Decision> out = new ArrayList<>();
        place(s, s.leases(), s.losses(), out);
        return out;
    }

    private void place(Snapshot s, Collection<Lease> held, Map<String, Loss> losses, List<Decision> out) {
        long now = s.nowNanos();
        // Right after a restart or takeover, grants made by the previous leader may still be held:
        // programs that ever ran (epoch > 0) wait until those have lapsed.
        boolean warm = now - s.leaderSinceNanos() > policy.fenceNanos();
        List<NodeCandidate> live = new ArrayList<>();
        for (NodeState n : s.nodes()) {
            if (now - n.lastHeartbeatNanos() <= liveWindowNanos && !n.draining()) live.add(n.candidate());
        }
        Set<String> active = new HashSet<>();
        for (ProgramState p : s.programs()) active.add(p.itemHash());
        Map<String, String> allocations = new HashMap<>();
        for (Lease l : held) {
            // Removed behind our back (another process wrote the database): stop renewing it.
            if (active.contains(l.itemHash())) allocations.put(l.itemHash(), l.nodeAddress());
            else out.add(new Decision.Deallocate(l.itemHash(), "program is no longer active"));
        }
        List<ProgramDemand> demands = new ArrayList<>();
        Map<String, ProgramState> byHash = new HashMap<>();
        // a persistent volume is used by one allocated program at a time, or its history would fork
        Map<String, String> volumeUsers = new HashMap<>();
        for (ProgramState p : s.programs()) {
            if (allocations.containsKey(p.itemHash())) p.volumeIds().forEach(v -> volumeUsers.put(v, p.itemHash()));
        }
        Map<String, String> blocked = new HashMap<>();
        for (ProgramState p : s.programs()) {
            boolean allocated = allocations.containsKey(p.itemHash());
            if (!allocated && (quarantined(s, p.itemHash()) || (!warm && p.epoch() > 0))) continue;
            if (!allocated) {
                String user = p.volumeIds().stream().map(volumeUsers::get).filter(u -> u != null).findFirst().orElse(null);
                if (user != null) {
                    blocked.put(p.itemHash(), "its persistent volume is in use by program " + user);
                    continue;
                }
                p.volumeIds().forEach(v -> volumeUsers.put(v, p.itemHash())); // and by no other pending one
            }
            byHash.put(p.itemHash(), p);
            demands.add(new ProgramDemand(p.itemHash(), p.vcpus(), p.memoryMib(), p.runtime(), p.requirements(),
                    p.avoid(), requireIsolation, p.needsVolumes()));
        }
        blocked.forEach((item, why) -> {
            if (!why.equals(s.unschedulable().get(item))) out.add(new Decision.MarkUnschedulable(item, why));
        });
        if (demands.size() == allocations.size()) return; // nothing pending
        Plan plan = Placement.plan(live, demands, allocations);
        for (Plan.Assignment a : plan.assignments()) {
            Loss loss = losses.get(a.itemHash());
            String reason = loss == null ? "scheduled on " + a.nodeAddress()
                    : "moved from " + loss.fromNode() + " to " + a.nodeAddress() + ": " + loss.why();
            out.add(new Decision.Place(a.itemHash(), a.nodeAddress(), byHash.get(a.itemHash()).epoch() + 1,
                    loss == null ? null : loss.fromNode(), reason));
        }
        for (ProgramDemand d : demands) {
            String why = plan.unschedulable().get(d.itemHash());
            if (why != null && !why.equals(s.unschedulable().get(d.itemHash()))) {
                out.add(new Decision.MarkUnschedulable(d.itemHash(), why));
            }
        }
    }

    /** A program removed while a node may still believe it holds it cannot be assigned before its lease lapsed. */
    private static boolean quarantined(Snapshot s, String itemHash) {
        Long until = s.quarantinedUntil().get(itemHash);
        return until != null && s.nowNanos() - until <= 0;
    }

    /**
     * What a node's heartbeat changes before its leases are renewed: a program it reports FAILED or
     * restarted {@value #CRASH_RESTARTS} times is revoked and the node added to its avoid list; one it
     * reports STOPPED in the epoch it holds (fenced) is revoked only, so it is placed again; with
     * require-isolation, every lease of a node whose executor does not isolate is revoked.
     */
    public List<Decision> heartbeat(NodeReport report, Collection<Lease> leases) {
        String node = report.nodeAddress();
        Map<String, Lease> byHash = new HashMap<>();
        for (Lease l : leases) byHash.put(l.itemHash(), l);
        List<Decision> out = new ArrayList<>();
        Set<String> revoked = new HashSet<>();
        for (ExecutionReport e : report.executions()) {
            Lease l = byHash.get(e.itemHash());
            // Only the current holder's report for the current epoch counts.
            if (l == null || !l.nodeAddress().equals(node) || l.epoch() != e.epoch() || l.revoking()
                    || revoked.contains(l.itemHash())) {
                continue;
            }
            if ("STOPPED".equalsIgnoreCase(e.state())) {
                // the holder fenced its copy (its lease ran out, e.g. while this scheduler could not
                // answer): not a crash of the program there, but nothing runs: place it again, new epoch
                out.add(new Decision.Revoke(l, "stopped on " + node
                        + (e.lastError() == null ? "" : " (" + e.lastError() + ")") + ": placed again"));
                revoked.add(l.itemHash());
                continue;
            }
            if (!"FAILED".equalsIgnoreCase(e.state()) && e.restarts() < CRASH_RESTARTS) continue;
            String why = CRASH_LOOP + node + " (" + e.restarts() + " restarts"
                    + (e.lastError() == null ? "" : ", last error: " + e.lastError()) + ")";
            out.add(new Decision.Revoke(l, why));
            out.add(new Decision.Avoid(l.itemHash(), node));
            revoked.add(l.itemHash());
        }
        if (requireIsolation && !report.isolated()) {
            // The node restarted with an executor that does not isolate: its programs stop there and move.
            String why = "node " + node + " runs " + (report.executor() == null ? "an unknown executor" : report.executor())
                    + ", which does not isolate programs (require-isolation is on)";
            for (Lease l : leases) {
                if (l.nodeAddress().equals(node) && !l.revoking() && !revoked.contains(l.itemHash())) {
                    out.add(new Decision.Revoke(l, why));
                }
            }
        }
        return out;
    }
}

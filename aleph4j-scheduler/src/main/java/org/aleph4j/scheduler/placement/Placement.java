package org.aleph4j.scheduler.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.aleph4j.client.scheduler.VmInfo;

/**
 * The placement function. Filters: free vCPUs and memory (counting existing allocations and the
 * assignments made earlier in the same plan), supported runtime, node requirements, an isolating
 * executor (when the program requires one), a node that mounts volumes (when it has any), avoided nodes.
 * Score: spread — the node whose most loaded dimension (vCPU or memory share) is lowest wins, then
 * the one with fewer programs, then the lowest address, so the result is deterministic.
 */
public final class Placement {
    private Placement() {}

    /**
     * @param nodes       live nodes
     * @param programs    every active persistent program (allocated or not), in priority order
     * @param allocations current allocations: program item hash → node address
     * @return assignments for the programs that are not allocated yet, and reasons for those that fit nowhere
     */
    public static Plan plan(List<NodeCandidate> nodes, List<ProgramDemand> programs, Map<String, String> allocations) {
        Session session = new Session(nodes, programs, allocations);
        List<Plan.Assignment> assignments = new ArrayList<>();
        Map<String, String> unschedulable = new LinkedHashMap<>();
        for (ProgramDemand p : programs) {
            if (allocations.containsKey(p.itemHash())) continue;
            String node = session.place(p);
            if (node == null) unschedulable.put(p.itemHash(), session.whyNot(p));
            else assignments.add(new Plan.Assignment(p.itemHash(), node));
        }
        return new Plan(assignments, unschedulable);
    }

    /**
     * Incremental placement over one snapshot: each {@link #place} decides for one program and counts
     * it against the chosen node. {@link #plan} is a loop over it; benchmarks time single decisions.
     * Not thread-safe; no clock, no I/O.
     */
    public static final class Session {
        private final Map<String, Slot> slots;
        private final TreeSet<Slot> byScore = new TreeSet<>(Slot.ORDER);

        /** Builds the per-node usage from the existing allocations of {@code programs}. */
        public Session(List<NodeCandidate> nodes, List<ProgramDemand> programs, Map<String, String> allocations) {
            slots = new HashMap<>(nodes.size() * 2);
            for (NodeCandidate n : nodes) slots.put(n.address(), new Slot(n));
            for (ProgramDemand p : programs) {
                String holder = allocations.get(p.itemHash());
                if (holder == null) continue;
                Slot s = slots.get(holder.toLowerCase());
                if (s != null) s.take(p); // an allocation on a node that is gone uses nothing here
            }
            byScore.addAll(slots.values());
        }

        /** Chooses the best feasible node for {@code p} and reserves its resources; null when none fits. */
        public String place(ProgramDemand p) {
            Slot chosen = null;
            for (Slot s : byScore) {
                if (s.fits(p)) {
                    chosen = s;
                    break;
                }
            }
            if (chosen == null) return null;
            byScore.remove(chosen);
            chosen.take(p);
            byScore.add(chosen);
            return chosen.node.address();
        }

        /** Why {@code p} fits on no node of this session. */
        public String whyNot(ProgramDemand p) {
            return Placement.whyNot(p, slots.values());
        }
    }

    /** The most specific reason a program fits on no node. */
    static String whyNot(ProgramDemand p, Iterable<Slot> slots) {
        int total = 0, runtimeOk = 0, requirementsOk = 0, volumesOk = 0, isolationOk = 0, notAvoided = 0, bigEnough = 0;
        long bestFreeVcpus = 0, bestFreeMemory = 0;
        TreeSet<String> unisolatedExecutors = new TreeSet<>();
        for (Slot s : slots) {
            total++;
            if (p.runtime() != null && !s.node.runtimes().contains(p.runtime())) continue;
            runtimeOk++;
            if (!p.requirements().matches(s.node)) continue;
            requirementsOk++;
            if (p.needsVolumes() && !s.node.volumes()) continue;
            volumesOk++;
            if (!p.acceptsExecutorOf(s.node)) {
                unisolatedExecutors.add(s.node.executor() == null ? "an unknown executor" : s.node.executor());
                continue;
            }
            isolationOk++;
            if (p.avoid().contains(s.node.address())) continue;
            notAvoided++;
            if (s.node.vcpus() >= p.vcpus() && s.node.memoryMib() >= p.memoryMib()) bigEnough++;
            bestFreeVcpus = Math.max(bestFreeVcpus, s.node.vcpus() - s.usedVcpus);
            bestFreeMemory = Math.max(bestFreeMemory, s.node.memoryMib() - s.usedMemory);
        }
        if (total == 0) return "no active node";
        if (runtimeOk == 0) return "no active node supports runtime " + p.runtime();
        if (requirementsOk == 0) return "no active node matches the program's node requirements";
        if (volumesOk == 0) {
            return "no active node can mount the program's volumes (volumes need a CRN with the sandbox executor,"
                    + " btrfs and loop devices)";
        }
        if (isolationOk == 0) {
            return "no active node isolates programs: require-isolation is on and the matching nodes run "
                    + String.join(", ", unisolatedExecutors) + " (run them with the sandbox executor)";
        }
        if (notAvoided == 0) return VmInfo.GIVEN_UP + " after repeated failures";
        if (bigEnough == 0) {
            return "no node is large enough: needs " + p.vcpus() + " vCPU and " + p.memoryMib() + " MiB";
        }
        return "insufficient free capacity: needs " + p.vcpus() + " vCPU and " + p.memoryMib()
                + " MiB, most free on a matching node is " + bestFreeVcpus + " vCPU / " + bestFreeMemory + " MiB";
    }

    /** Mutable per-plan bookkeeping of one node; never escapes {@link #plan}. */
    static final class Slot {
        static final Comparator<Slot> ORDER = Comparator.comparingDouble((Slot s) -> s.load)
                .thenComparingInt(s -> s.count).thenComparing(s -> s.node.address());
        final NodeCandidate node;
        long usedVcpus;
        long usedMemory;
        int count;
        double load;

        Slot(NodeCandidate node) {
            this.node = node;
        }

        boolean fits(ProgramDemand p) {
            return usedVcpus + p.vcpus() <= node.vcpus() && usedMemory + p.memoryMib() <= node.memoryMib()
                    && (p.runtime() == null || node.runtimes().contains(p.runtime()))
                    && p.acceptsExecutorOf(node) && !p.avoid().contains(node.address())
                    && p.requirements().matches(node);
        }

        void take(ProgramDemand p) {
            usedVcpus += p.vcpus();
            usedMemory += p.memoryMib();
            count++;
            double v = node.vcpus() == 0 ? 1 : (double) usedVcpus / node.vcpus();
            double m = node.memoryMib() == 0 ? 1 : (double) usedMemory / node.memoryMib();
            load = Math.max(v, m);
        }
    }
}

package org.aleph4j.bench.scheduler;

import org.aleph4j.scheduler.placement.NodeCandidate;
import org.aleph4j.scheduler.placement.Placement;
import org.aleph4j.scheduler.placement.ProgramDemand;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Places 100,000 persistent programs onto 10,000 simulated nodes through the pure placement function
 * and prints placements per second and the latency distribution of single decisions. Arguments:
 * {@code [programs] [nodes] [seed]}. A figure printer, not a test.
 */
public final class PlacementBench {
    private PlacementBench() {}

    public static void main(String[] args) {
        int programs = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 42;
        System.out.printf("placement: %,d programs onto %,d nodes (seed %d)%n", programs, nodes, seed);
        run(programs / 10, nodes, seed + 1, false); // warm-up for the JIT
        run(programs, nodes, seed, true);
    }

    static void run(int programCount, int nodeCount, long seed, boolean print) {
        Random r = new Random(seed);
        String rtA = "a".repeat(64);
        String rtB = "b".repeat(64);
        List<NodeCandidate> nodes = new ArrayList<>(nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            int vcpus = 8 << r.nextInt(4); // 8..64
            long mem = 16_384L << r.nextInt(4); // 16..128 GiB
            Set<String> rts = r.nextInt(10) == 0 ? Set.of(rtA) : Set.of(rtA, rtB);
            nodes.add(new NodeCandidate(String.format("0x%040x", i), "h" + i, "http://crn" + i, vcpus, mem, rts));
        }
        List<ProgramDemand> demands = new ArrayList<>(programCount);
        for (int i = 0; i < programCount; i++) {
            int vcpus = 1 + r.nextInt(4);
            long mem = 256L << r.nextInt(6); // 256 MiB .. 8 GiB
            demands.add(new ProgramDemand(String.format("%064x", i), vcpus, mem, r.nextInt(5) == 0 ? rtB : rtA));
        }
        Placement.Session session = new Placement.Session(nodes, List.of(), Map.of());
        long[] latencies = new long[programCount];
        int placed = 0;
        long start = System.nanoTime();
        for (int i = 0; i < programCount; i++) {
            long t0 = System.nanoTime();
            String node = session.place(demands.get(i));
            latencies[i] = System.nanoTime() - t0;
            if (node != null) placed++;
        }
        long total = System.nanoTime() - start;
        // The one-shot plan over the same inputs, as the scheduler's tick calls it.
        long planStart = System.nanoTime();
        var plan = Placement.plan(nodes, demands, Map.of());
        long planTotal = System.nanoTime() - planStart;
        if (!print) return;
        Arrays.sort(latencies);
        System.out.printf("decisions: %,d (placed %,d, unschedulable %,d) in %.1f ms -> %,.0f placements/s%n",
                programCount, placed, programCount - placed, total / 1e6, programCount / (total / 1e9));
        System.out.printf("per decision: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n",
                latencies[programCount / 2] / 1e3, latencies[(int) (programCount * 0.99)] / 1e3,
                latencies[(int) (programCount * 0.999)] / 1e3, latencies[programCount - 1] / 1e3);
        System.out.printf("Placement.plan one shot: %.1f ms (%,d assignments, %,d unschedulable)%n", planTotal / 1e6,
                plan.assignments().size(), plan.unschedulable().size());
    }
}

package org.aleph4j.cli.program;

import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.NodeInfo;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Whether a persistent program's resources fit on one of the nodes the scheduler knows: a program
 * no node can hold would be paid for and never start. Capacity is what a node offers in total, not
 * what is free now (free room comes and goes; the scheduler waits for it).
 */
final class NodeFit {
    private NodeFit() {
    }

    /** The refusal, one line, when no node of {@code nodes} offers {@code vcpus} and {@code memoryMib}; empty when one does or no active node is known. */
    static Optional<String> refusal(List<NodeInfo> nodes, int vcpus, long memoryMib) {
        List<Capacity> caps = nodes.stream().filter(n -> "active".equals(n.status())).map(NodeInfo::capacity).filter(c -> c != null).toList();
        if (caps.isEmpty()) return Optional.empty();
        if (caps.stream().anyMatch(c -> c.vcpus() >= vcpus && c.memoryMib() >= memoryMib)) return Optional.empty();
        Capacity largest = caps.stream().max(Comparator.comparingLong(Capacity::memoryMib).thenComparingInt(Capacity::vcpus)).orElseThrow();
        int maxVcpus = caps.stream().mapToInt(Capacity::vcpus).max().orElseThrow();
        return Optional.of("no node can hold " + vcpus + " vCPU and " + memoryMib + " MiB: the largest node the scheduler knows has "
                + largest.vcpus() + " vCPUs and " + largest.memoryMib() + " MiB" + (maxVcpus > largest.vcpus() ? " (the most vCPUs: " + maxVcpus + ")" : "")
                + " — ask for at most that with --vcpus/--memory (or --compute-units)");
    }
}

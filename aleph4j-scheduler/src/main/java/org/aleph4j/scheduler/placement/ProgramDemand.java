package org.aleph4j.scheduler.placement;

import java.util.Set;

/**
 * What a persistent program needs from a node. {@code avoid} lists node addresses it must not be
 * placed on again (for example after it crash-looped there); {@code requireIsolation} keeps it off
 * nodes whose executor does not isolate programs (the scheduler's {@code require-isolation} setting);
 * {@code needsVolumes} keeps it off nodes that mount no volumes.
 */
public record ProgramDemand(String itemHash, int vcpus, long memoryMib, String runtime, NodeRequirements requirements,
                            Set<String> avoid, boolean requireIsolation, boolean needsVolumes) {
    public ProgramDemand {
        requirements = requirements == null ? NodeRequirements.NONE : requirements;
        avoid = avoid == null ? Set.of() : Set.copyOf(avoid);
    }

    /** A demand without volumes. */
    public ProgramDemand(String itemHash, int vcpus, long memoryMib, String runtime, NodeRequirements requirements,
                         Set<String> avoid, boolean requireIsolation) {
        this(itemHash, vcpus, memoryMib, runtime, requirements, avoid, requireIsolation, false);
    }

    /** A demand that accepts any executor. */
    public ProgramDemand(String itemHash, int vcpus, long memoryMib, String runtime, NodeRequirements requirements,
                         Set<String> avoid) {
        this(itemHash, vcpus, memoryMib, runtime, requirements, avoid, false);
    }

    public ProgramDemand(String itemHash, int vcpus, long memoryMib, String runtime) {
        this(itemHash, vcpus, memoryMib, runtime, NodeRequirements.NONE, Set.of(), false);
    }

    /** True when {@code node}'s executor is acceptable to this program. */
    public boolean acceptsExecutorOf(NodeCandidate node) {
        return (!requireIsolation || node.isolated()) && (!needsVolumes || node.volumes());
    }
}

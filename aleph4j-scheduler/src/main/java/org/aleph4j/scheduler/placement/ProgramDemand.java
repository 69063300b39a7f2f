package org.aleph4j.scheduler.placement;

import java.util.Set;

/**
 * What a persistent program needs from a node. {@code avoid} lists node addresses it must not be
 * placed on again (for example after it crash-looped there).
 */
public record ProgramDemand(String itemHash, int vcpus, long memoryMib, String runtime, NodeRequirements requirements,
                            Set<String> avoid) {
    public ProgramDemand {
        requirements = requirements == null ? NodeRequirements.NONE : requirements;
        avoid = avoid == null ? Set.of() : Set.copyOf(avoid);
    }

    public ProgramDemand(String itemHash, int vcpus, long memoryMib, String runtime) {
        this(itemHash, vcpus, memoryMib, runtime, NodeRequirements.NONE, Set.of());
    }
}

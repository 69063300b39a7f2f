package org.aleph4j.scheduler.placement;

import java.util.Set;

/**
 * A live CRN that can take programs: its identity, URL, total capacity, supported runtimes, and the
 * executor it reported ({@code executor} may be null when unknown) with whether it isolates programs,
 * and whether it mounts volumes.
 */
public record NodeCandidate(String address, String nodeHash, String url, int vcpus, long memoryMib,
                            Set<String> runtimes, String executor, boolean isolated, boolean volumes) {
    public NodeCandidate {
        address = address.toLowerCase();
        runtimes = Set.copyOf(runtimes);
    }

    /** A node that mounts no volumes. */
    public NodeCandidate(String address, String nodeHash, String url, int vcpus, long memoryMib, Set<String> runtimes,
                         String executor, boolean isolated) {
        this(address, nodeHash, url, vcpus, memoryMib, runtimes, executor, isolated, false);
    }

    /** A node whose executor is unknown, so it counts as not isolating. */
    public NodeCandidate(String address, String nodeHash, String url, int vcpus, long memoryMib, Set<String> runtimes) {
        this(address, nodeHash, url, vcpus, memoryMib, runtimes, null, false, false);
    }
}

package org.aleph4j.scheduler.placement;

import java.util.Set;

/** A live CRN that can take programs: its identity, URL, total capacity and supported runtimes. */
public record NodeCandidate(String address, String nodeHash, String url, int vcpus, long memoryMib,
                            Set<String> runtimes) {
    public NodeCandidate {
        address = address.toLowerCase();
        runtimes = Set.copyOf(runtimes);
    }
}

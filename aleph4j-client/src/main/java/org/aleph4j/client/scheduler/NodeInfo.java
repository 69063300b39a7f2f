package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * A CRN in the scheduler's registry ({@code GET /api/v1/nodes/{hash}}). {@code nodeHash} is the
 * sha256 of the lowercase node address; {@code status} is {@code active} while heartbeats arrive,
 * else {@code inactive}.
 */
public record NodeInfo(String nodeHash, String address, String url, String status, Capacity capacity,
                       List<String> runtimes, String version, Double lastSeen, int allocatedVms,
                       List<ExecutionReport> executions) {
    public NodeInfo {
        runtimes = runtimes == null ? List.of() : List.copyOf(runtimes);
        executions = executions == null ? List.of() : List.copyOf(executions);
    }
}

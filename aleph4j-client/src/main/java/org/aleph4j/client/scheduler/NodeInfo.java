package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * A CRN in the scheduler's registry ({@code GET /api/v1/nodes/{hash}}). {@code nodeHash} is the
 * sha256 of the lowercase node address; {@code status} is {@code active} while heartbeats arrive,
 * else {@code inactive}. {@code executor} is what the node last reported ({@link ExecutorInfo#UNKNOWN}
 * when it reported nothing).
 */
public record NodeInfo(String nodeHash, String address, String url, String status, Capacity capacity,
                       List<String> runtimes, String version, Double lastSeen, int allocatedVms,
                       List<ExecutionReport> executions, ExecutorInfo executor) {
    public NodeInfo {
        runtimes = runtimes == null ? List.of() : List.copyOf(runtimes);
        executions = executions == null ? List.of() : List.copyOf(executions);
        executor = executor == null ? ExecutorInfo.UNKNOWN : executor;
    }

    /** A node entry without executor information. */
    public NodeInfo(String nodeHash, String address, String url, String status, Capacity capacity,
                    List<String> runtimes, String version, Double lastSeen, int allocatedVms,
                    List<ExecutionReport> executions) {
        this(nodeHash, address, url, status, capacity, runtimes, version, lastSeen, allocatedVms, executions, null);
    }
}

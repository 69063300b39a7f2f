package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * Body of {@code POST /api/v1/heartbeat}, signed EIP-191 by {@code nodeAddress}'s key over the exact
 * body bytes (header {@value SchedulerClient#SIGNATURE_HEADER}). {@code time} is the sender's wall
 * clock in seconds (stale bodies are refused) and {@code nonce} is unique per request (replays are
 * refused).
 */
public record Heartbeat(String nodeAddress, String publicUrl, Capacity capacity, List<String> runtimes,
                        List<ExecutionReport> executions, String version, String nonce, double time) {
    public Heartbeat {
        runtimes = runtimes == null ? List.of() : List.copyOf(runtimes);
        executions = executions == null ? List.of() : List.copyOf(executions);
    }
}

package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * Body of {@code POST /api/v1/heartbeat}, signed EIP-191 by {@code nodeAddress}'s key over the exact
 * body bytes (header {@value SchedulerClient#SIGNATURE_HEADER}). {@code time} is the sender's wall
 * clock in seconds (stale bodies are refused) and {@code nonce} is unique per request (replays are
 * refused). {@code executor} says how the node runs programs; null (an older node) means unknown, which
 * the scheduler treats as not isolating.
 *
 * <p>{@code incarnation} is the scheduler incarnation the node last saw (0: none yet). The scheduler
 * serves a heartbeat only when it names its current incarnation; otherwise it answers with a signed
 * {@link HeartbeatAnswer.IncarnationChanged} and the node retries. A heartbeat recorded before a
 * scheduler restart or takeover therefore renews nothing when replayed after it, even though the new
 * process no longer remembers its nonce.
 *
 * <p>{@code session} true (on a signed heartbeat) asks for a heartbeat session: the signed answer then
 * carries a {@link SessionGrant}, and later heartbeats are authenticated by HMAC instead of a signature
 * ({@link HeartbeatSession}). Null or false asks for none (older nodes).
 */
public record Heartbeat(String nodeAddress, String publicUrl, Capacity capacity, List<String> runtimes,
                        List<ExecutionReport> executions, String version, String nonce, double time,
                        ExecutorInfo executor, long incarnation, Boolean session) {
    public Heartbeat {
        runtimes = runtimes == null ? List.of() : List.copyOf(runtimes);
        executions = executions == null ? List.of() : List.copyOf(executions);
    }

    /** A heartbeat that asks for no session. */
    public Heartbeat(String nodeAddress, String publicUrl, Capacity capacity, List<String> runtimes,
                     List<ExecutionReport> executions, String version, String nonce, double time,
                     ExecutorInfo executor, long incarnation) {
        this(nodeAddress, publicUrl, capacity, runtimes, executions, version, nonce, time, executor, incarnation, null);
    }

    /** True when this (signed) heartbeat asks for a session. */
    public boolean asksSession() {
        return Boolean.TRUE.equals(session);
    }

    /** A heartbeat that does not report its executor and has seen no incarnation yet. */
    public Heartbeat(String nodeAddress, String publicUrl, Capacity capacity, List<String> runtimes,
                     List<ExecutionReport> executions, String version, String nonce, double time) {
        this(nodeAddress, publicUrl, capacity, runtimes, executions, version, nonce, time, null, 0);
    }
}

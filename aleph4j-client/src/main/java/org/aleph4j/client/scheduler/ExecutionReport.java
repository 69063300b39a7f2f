package org.aleph4j.client.scheduler;

/**
 * A persistent execution as a CRN reports it in a heartbeat. {@code state} is one of DEFINED,
 * PREPARING, STARTING, RUNNING, STOPPING, STOPPED, FAILED.
 */
public record ExecutionReport(String itemHash, long epoch, String state, int restarts, String lastError) {}

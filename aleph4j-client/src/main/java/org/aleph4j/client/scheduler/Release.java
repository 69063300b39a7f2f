package org.aleph4j.client.scheduler;

/**
 * Body of {@code POST /api/v1/release}, signed like a heartbeat: the node has stopped
 * {@code itemHash} (epoch {@code epoch}) and hands it back, so it can be placed elsewhere at once.
 */
public record Release(String nodeAddress, String itemHash, long epoch, String reason, String nonce, double time) {}

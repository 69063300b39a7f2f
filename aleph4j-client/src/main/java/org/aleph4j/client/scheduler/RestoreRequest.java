package org.aleph4j.client.scheduler;

/**
 * Body of {@code POST /api/v1/volumes/restore}, signed like a heartbeat: the node that holds
 * {@code itemHash} under {@code epoch} asks for what it needs to restore the program's persistent
 * volumes before starting it. Answered only to the current lease holder.
 */
public record RestoreRequest(String nodeAddress, String itemHash, long epoch, String nonce, double time) {}

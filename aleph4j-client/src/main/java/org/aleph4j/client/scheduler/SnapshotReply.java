package org.aleph4j.client.scheduler;

/** The scheduler accepted snapshot {@code seq} of {@code volumeId}: it is the volume's head now. */
public record SnapshotReply(String volumeId, long seq, boolean accepted) {}

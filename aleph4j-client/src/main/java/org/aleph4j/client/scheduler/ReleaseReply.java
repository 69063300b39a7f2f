package org.aleph4j.client.scheduler;

/** Answer to a release: {@code released} is false when the node did not hold that allocation. */
public record ReleaseReply(String itemHash, boolean released) {}

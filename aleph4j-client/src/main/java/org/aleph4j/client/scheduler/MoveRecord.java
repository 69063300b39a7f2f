package org.aleph4j.client.scheduler;

/** One scheduling event of a program: from/to node hash (null when none), new epoch and why. */
public record MoveRecord(double time, String fromNode, String toNode, Long epoch, String reason) {}

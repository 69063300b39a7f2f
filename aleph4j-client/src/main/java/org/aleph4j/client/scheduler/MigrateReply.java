package org.aleph4j.client.scheduler;

/** A migration was asked: {@code status} is {@code migrating}; {@code fromNode} and {@code target} are node hashes (target null: any). */
public record MigrateReply(String vmHash, String status, String fromNode, String target) {}

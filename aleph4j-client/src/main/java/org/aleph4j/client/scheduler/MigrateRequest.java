package org.aleph4j.client.scheduler;

/**
 * Body of {@code POST /api/v1/vms/{hash}/migrate}, signed EIP-191 over its exact bytes by the
 * program's owner ({@code sender}, header {@value SchedulerClient#SIGNATURE_HEADER}): move the program
 * to {@code target} (a node hash or address; null: any other node). The holder drains it (stops it,
 * takes a final snapshot of its volumes, releases it) and the scheduler places it again.
 */
public record MigrateRequest(String sender, String vmHash, String target, String nonce, double time) {}

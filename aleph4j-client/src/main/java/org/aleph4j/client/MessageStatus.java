package org.aleph4j.client;

/** Answer to {@code GET /api/v0/messages/{hash}/status}. */
public record MessageStatus(String status, String itemHash, Double receptionTime) {}

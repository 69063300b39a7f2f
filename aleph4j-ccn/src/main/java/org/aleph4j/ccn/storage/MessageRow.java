package org.aleph4j.ccn.storage;

/**
 * One message as stored: envelope, parsed content (JSON text), status and processing bookkeeping. {@code seq} numbers
 * insertions; {@code sequence} is the number of its latest status change (null while pending), see
 * {@link MessageStore#changesAfter}.
 */
public record MessageRow(long seq, String itemHash, String status, String type, String chain, String sender, String owner,
                         String channel, String itemType, String envelope, String content, String contentType,
                         String contentKey, String contentRef, String contentItemHash, String paymentType, Long size,
                         double time, double receptionTime, Double processedAt, Integer errorCode, String details,
                         int retries, double nextAttempt, String waitingFor, String forgottenBy, String costHold,
                         String reason, Long sequence) {
}

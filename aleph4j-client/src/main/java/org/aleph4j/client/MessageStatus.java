package org.aleph4j.client;

import java.util.Optional;

/**
 * Answer to {@code GET /api/v0/messages/{hash}/status}: {@code status} is the string as the CCN sent
 * it (null when absent); {@link #typedStatus()} reads it as an {@link org.aleph4j.message.MessageStatus}.
 */
public record MessageStatus(String status, String itemHash, Double receptionTime) {
    /** The status as an enum; empty when the CCN sent none or one this SDK does not know. */
    public Optional<org.aleph4j.message.MessageStatus> typedStatus() {
        return org.aleph4j.message.MessageStatus.parse(status);
    }
}

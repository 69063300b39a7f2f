package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * Answer to {@code POST /api/v0/messages}: the HTTP status (200 processed, 202 pending, 422
 * rejected...), {@code message_status} and {@code publication_status.status}, plus the raw body.
 */
public record PostResult(int httpStatus, String messageStatus, String publicationStatus, JsonNode body) {
    /** {@code message_status} as an enum; empty when absent or unknown to this SDK. */
    public Optional<org.aleph4j.message.MessageStatus> typedStatus() {
        return org.aleph4j.message.MessageStatus.parse(messageStatus);
    }

    public boolean processed() {
        return org.aleph4j.message.MessageStatus.PROCESSED.is(messageStatus);
    }

    public boolean rejected() {
        return org.aleph4j.message.MessageStatus.REJECTED.is(messageStatus);
    }
}

package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Answer to {@code POST /api/v0/messages}: the HTTP status (200 processed, 202 pending, 422
 * rejected...), {@code message_status} and {@code publication_status.status}, plus the raw body.
 */
public record PostResult(int httpStatus, String messageStatus, String publicationStatus, JsonNode body) {
    public boolean processed() {
        return "processed".equals(messageStatus);
    }

    public boolean rejected() {
        return "rejected".equals(messageStatus);
    }
}

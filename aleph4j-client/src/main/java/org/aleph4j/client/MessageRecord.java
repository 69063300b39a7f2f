package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.AlephMessage;

import java.util.List;

/**
 * Answer to {@code GET /api/v0/messages/{hash}}: the status, the message (with its parsed
 * {@code content}; for pending messages the first of {@code messages}), and for rejected messages
 * the error code and details, for forgotten ones the FORGET hashes.
 */
public record MessageRecord(String status, String itemHash, Double receptionTime, AlephMessage message,
                            Integer errorCode, JsonNode details, List<String> forgottenBy, String reason, JsonNode raw) {
    public boolean processed() {
        return "processed".equals(status);
    }

    public boolean forgotten() {
        return "forgotten".equals(status);
    }

    public boolean rejected() {
        return "rejected".equals(status);
    }

    public boolean pending() {
        return "pending".equals(status);
    }
}

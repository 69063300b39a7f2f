package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.AlephMessage;

import java.util.List;
import java.util.Optional;

/**
 * Answer to {@code GET /api/v0/messages/{hash}}: the status, the message (with its parsed
 * {@code content}; for pending messages the first of {@code messages}), and for rejected messages
 * the error code and details, for forgotten ones the FORGET hashes.
 */
public record MessageRecord(String status, String itemHash, Double receptionTime, AlephMessage message,
                            Integer errorCode, JsonNode details, List<String> forgottenBy, String reason, JsonNode raw) {
    /** The status as an enum; empty when the CCN sent none or one this SDK does not know. */
    public Optional<org.aleph4j.message.MessageStatus> typedStatus() {
        return org.aleph4j.message.MessageStatus.parse(status);
    }

    public boolean processed() {
        return org.aleph4j.message.MessageStatus.PROCESSED.is(status);
    }

    public boolean forgotten() {
        return org.aleph4j.message.MessageStatus.FORGOTTEN.is(status);
    }

    public boolean rejected() {
        return org.aleph4j.message.MessageStatus.REJECTED.is(status);
    }

    public boolean pending() {
        return org.aleph4j.message.MessageStatus.PENDING.is(status);
    }
}

package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageStatus;

/**
 * One message delivered by a {@link MessageStream}, read once from the CCN's JSON. Lenient, since
 * frames come from a peer: a missing field is an empty string or null, never an exception.
 *
 * <p>A frame is a message as {@code messages.json} lists it, with a top-level {@code status} when
 * the CCN announces a status change; the wrapped form {@code {"status": ..., "message": {...}}} is
 * read too, its outer status winning.
 *
 * @param itemHash   the message's item hash; empty when absent
 * @param type       the message type as sent ({@code "PROGRAM"}, {@code "FORGET"}...); empty when absent
 * @param sender     the sender address; empty when absent
 * @param chain      the sender's chain; empty when absent
 * @param statusText the status string as sent; {@code "processed"} when the frame carries none
 * @param status     {@code statusText} as an enum; null when it is not a status this SDK knows
 * @param time       the message time in seconds since the epoch, as its sender chose it; null when
 *                   absent or not a number
 * @param sequence   the number the CCN gave this change of the message (aleph4j extension: strictly
 *                   increasing in the order changes became visible, whatever the senders' clocks say;
 *                   a {@link MessageStream} resumes after the last one it delivered); null when absent
 * @param content    the message content: the {@code content} object, else {@code item_content}
 *                   parsed; null when neither is readable (e.g. a forgotten message)
 * @param raw        the frame exactly as received, for consumers that need other fields
 */
public record StreamFrame(String itemHash, String type, String sender, String chain, String statusText,
                          MessageStatus status, Double time, Long sequence, JsonNode content, JsonNode raw) {

    /** Reads a frame; a null or non-object node gives a frame with every field empty. */
    public static StreamFrame of(JsonNode frame) {
        JsonNode f = frame == null ? Json.MAPPER.missingNode() : frame;
        JsonNode m = f.path("message").isObject() ? f.get("message") : f;
        String statusText = f.path("status").asText(m.path("status").asText(MessageStatus.PROCESSED.value()));
        double t = m.path("time").asDouble(Double.NaN);
        JsonNode seq = m.has("sequence") ? m.get("sequence") : f.path("sequence");
        Long sequence = seq.isIntegralNumber() && seq.canConvertToLong() ? seq.asLong() : null;
        return new StreamFrame(m.path("item_hash").asText(""), m.path("type").asText(""), m.path("sender").asText(""),
                m.path("chain").asText(""), statusText, MessageStatus.parse(statusText).orElse(null),
                Double.isNaN(t) ? null : t, sequence, contentOf(m), f);
    }

    /** Whether the frame names a message (has an item hash). */
    public boolean hasHash() {
        return !itemHash.isEmpty();
    }

    private static JsonNode contentOf(JsonNode m) {
        JsonNode c = m.get("content");
        if (c != null && c.isObject()) return c;
        JsonNode ic = m.get("item_content");
        if (ic != null && ic.isTextual()) {
            try {
                return Json.MAPPER.readTree(ic.asText());
            } catch (Exception e) {
                return null;
            }
        }
        return null;
    }
}

package org.aleph4j.ccn.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;

/** Renders stored messages as the API shows them (items of {@code messages.json}, stream frames). */
public final class MessageJson {
    private MessageJson() {}

    static JsonNode parse(String json) {
        if (json == null) return null;
        try {
            return Json.parseTree(json);
        } catch (MessageException e) {
            return null;
        }
    }

    /** The envelope as submitted (no content). */
    public static ObjectNode envelope(MessageRow r) {
        JsonNode n = parse(r.envelope());
        return n instanceof ObjectNode o ? o : Json.MAPPER.createObjectNode();
    }

    /**
     * A message as a list item: the envelope with its parsed {@code content}, {@code confirmed},
     * {@code confirmations} and {@code size}, and (aleph4j extension) the {@code sequence} of its latest status
     * change. Forgotten messages lose their content and item_content and carry {@code forgotten_by}.
     */
    public static ObjectNode item(MessageRow r) {
        ObjectNode o = envelope(r);
        if (r.sequence() != null) o.put("sequence", r.sequence());
        if (MessageStatus.FORGOTTEN.is(r.status())) {
            o.remove("item_content");
            JsonNode by = parse(r.forgottenBy());
            if (by != null) o.set("forgotten_by", by);
            return o;
        }
        JsonNode content = parse(r.content());
        if (content != null) o.set("content", content);
        o.put("confirmed", false);
        o.putArray("confirmations");
        if (r.size() != null) o.put("size", r.size());
        return o;
    }

    /**
     * A stream frame: the item, with a top-level {@code status} when announcing a status change (aleph4j extension).
     * Replayed history carries its status unless the message is processed.
     */
    public static String frame(MessageRow r, String status) {
        ObjectNode o = item(r);
        if (status != null) o.put("status", status);
        return Json.write(o);
    }

    /** A replayed message's frame: like a live one, with the status of anything not simply processed. */
    static String historyFrame(MessageRow r) {
        return frame(r, MessageStatus.PROCESSED.is(r.status()) ? null : r.status());
    }
}

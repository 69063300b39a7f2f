package org.aleph4j.message;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A message envelope with every field of upstream's format (reference §1.1). {@code content} is
 * the parsed content as the API returns it; it is not signed and not sent on submission.
 */
@JsonPropertyOrder({"sender", "chain", "signature", "type", "item_content", "item_type", "item_hash", "time", "channel",
        "hash_type", "content", "confirmed", "confirmations", "size", "forgotten_by"})
public record AlephMessage(Chain chain, String sender, MessageType type, String channel, ItemType itemType,
                           String itemContent, String itemHash, String hashType, double time, String signature,
                           JsonNode content, Boolean confirmed, List<JsonNode> confirmations, Long size,
                           List<String> forgottenBy) {

    /** The four signed fields joined by newlines: {@code chain\nsender\ntype\nitem_hash}. */
    public String verificationBuffer() {
        return Signatures.verificationBuffer(chain, sender, type, itemHash);
    }

    /** The envelope as submitted to {@code POST /api/v0/messages}: no content, no API-only fields. */
    public AlephMessage forSubmission() {
        return new AlephMessage(chain, sender, type, channel, itemType, itemContent, itemHash, hashType, time, signature,
                null, null, null, null, null);
    }

    public AlephMessage withContent(JsonNode parsedContent) {
        return new AlephMessage(chain, sender, type, channel, itemType, itemContent, itemHash, hashType, time, signature,
                parsedContent, confirmed, confirmations, size, forgottenBy);
    }

    public AlephMessage withSignature(String sig) {
        return new AlephMessage(chain, sender, type, channel, itemType, itemContent, itemHash, hashType, time, sig,
                content, confirmed, confirmations, size, forgottenBy);
    }

    public JsonNode toJson() {
        return Json.MAPPER.valueToTree(this);
    }
}

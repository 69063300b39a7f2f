package org.aleph4j.message;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.aleph4j.message.content.Content;

/**
 * Validates submitted envelopes as upstream's CCN does: shape (error 0), item hash and inline
 * limits (0), content schema (0) and signature (1). Never throws anything but {@link MessageException}
 * for bad input.
 */
public final class MessageValidator {
    private final SignatureVerifier verifier;

    public MessageValidator(SignatureVerifier verifier) {
        this.verifier = verifier;
    }

    /** An envelope and, when inline, its parsed content. */
    public record Validated(AlephMessage message, Content content) {}

    /**
     * Parses a submitted envelope's fields from JSON (reference §1.1–1.2); does not look at content
     * or signature. {@code time} may be a number of seconds or an ISO-8601 date-time, as upstream's
     * pydantic models accept. Every problem gives error code 0 with the list of errors in details.
     */
    public static AlephMessage parseEnvelope(JsonNode json) throws MessageException {
        return read(json, false);
    }

    /**
     * Reads a message as the API returns it ({@code GET /api/v0/messages...}): like
     * {@link #parseEnvelope} but forgotten messages may lack {@code item_content}, and the API-only
     * fields ({@code content, confirmed, confirmations, size, forgotten_by}) are kept.
     */
    public static AlephMessage readApiMessage(JsonNode json) throws MessageException {
        return read(json, true);
    }

    private static AlephMessage read(JsonNode json, boolean apiView) throws MessageException {
        if (json == null || !json.isObject()) throw new MessageException(ErrorCode.INVALID_FORMAT, "message must be a JSON object");
        List<String> errors = new ArrayList<>();
        String chainName = text(json, "chain", errors, true);
        Chain chain = Chain.parse(chainName);
        if (chainName != null && chain == null) errors.add("unknown chain: " + chainName);
        String sender = text(json, "sender", errors, true);
        String typeName = text(json, "type", errors, true);
        MessageType type = MessageType.parse(typeName);
        if (typeName != null && type == null) errors.add("unknown message type: " + typeName);
        String itemHash = text(json, "item_hash", errors, true);
        String signature = signature(json, errors);
        String channel = text(json, "channel", errors, false);
        if (channel != null && channel.length() > 128) errors.add("channel is longer than 128 characters");
        String itemContent = text(json, "item_content", errors, false);
        String itemTypeName = text(json, "item_type", errors, false);
        ItemType itemType = ItemType.parse(itemTypeName);
        if (itemTypeName != null && itemType == null) errors.add("unknown item_type: " + itemTypeName + " (inline, storage or ipfs)");
        String hashType = text(json, "hash_type", errors, false);
        if (hashType != null && !"sha256".equals(hashType)) errors.add("hash_type must be sha256");
        double time = time(json.get("time"), errors);
        if (!errors.isEmpty()) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "invalid message: " + String.join("; ", errors),
                    Map.of("errors", errors));
        }
        if (itemType == null) itemType = itemContent != null ? ItemType.INLINE : ItemHashes.inferItemType(itemHash);
        if (itemType == null) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "invalid item_hash: " + itemHash
                    + " (expected 64 lowercase hex digits or an IPFS CID)", Map.of("item_hash", itemHash));
        }
        if (itemType == ItemType.INLINE && itemContent == null && !apiView) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "item_content is required for inline messages");
        }
        if (itemType != ItemType.INLINE && itemContent != null) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "item_content is only allowed for inline messages");
        }
        if (itemType == ItemType.STORAGE && !ItemHashes.isSha256Hash(itemHash)
                || itemType == ItemType.IPFS && !ItemHashes.isIpfsCid(itemHash)
                || itemType == ItemType.INLINE && !ItemHashes.isSha256Hash(itemHash)) {
            throw new MessageException(ErrorCode.INVALID_FORMAT,
                    "item_hash " + itemHash + " does not match item_type " + itemType.value(), Map.of("item_hash", itemHash));
        }
        if (!apiView) {
            return new AlephMessage(chain, sender, type, channel, itemType, itemContent, itemHash, hashType, time, signature,
                    null, null, null, null, null);
        }
        JsonNode content = json.get("content");
        JsonNode confirmed = json.get("confirmed");
        JsonNode size = json.get("size");
        List<JsonNode> confirmations = new ArrayList<>();
        json.path("confirmations").forEach(confirmations::add);
        List<String> forgottenBy = new ArrayList<>();
        json.path("forgotten_by").forEach(h -> forgottenBy.add(h.asText()));
        return new AlephMessage(chain, sender, type, channel, itemType, itemContent, itemHash, hashType, time, signature,
                content == null || content.isNull() ? null : content,
                confirmed == null || !confirmed.isBoolean() ? null : confirmed.booleanValue(),
                json.has("confirmations") ? List.copyOf(confirmations) : null,
                size == null || !size.canConvertToLong() ? null : size.longValue(),
                json.has("forgotten_by") && !json.get("forgotten_by").isNull() ? List.copyOf(forgottenBy) : null);
    }

    /** Largest time upstream accepts (seconds; the int64 nanosecond limit). */
    static final double MAX_TIME = 9_223_372_036.0;

    private static double time(JsonNode time, List<String> errors) {
        if (time == null || time.isNull()) {
            errors.add("field required: time");
            return 0;
        }
        double t;
        if (time.isNumber()) {
            t = time.doubleValue();
        } else if (time.isTextual()) {
            try {
                Instant i = OffsetDateTime.parse(time.asText()).toInstant();
                t = i.getEpochSecond() + i.getNano() / 1e9;
            } catch (DateTimeParseException e) {
                errors.add("time must be a number of seconds or an ISO-8601 date-time, got \"" + time.asText() + "\"");
                return 0;
            }
        } else {
            errors.add("time must be a number");
            return 0;
        }
        if (!(t >= 0 && t <= MAX_TIME)) errors.add("time must be between 0 and 9223372036, got " + Json.pythonRepr(t));
        return t;
    }

    /**
     * EVM signatures are hex strings; some API views (Solana, Cosmos) carry the signature as a JSON
     * object, which is kept as its compact JSON text so the envelope still parses.
     */
    private static String signature(JsonNode json, List<String> errors) {
        JsonNode v = json.get("signature");
        if (v != null && v.isObject()) return Json.write(v);
        return text(json, "signature", errors, true);
    }

    private static String text(JsonNode json, String field, List<String> errors, boolean required) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            if (required) errors.add("field required: " + field);
            return null;
        }
        if (!v.isTextual()) {
            errors.add(field + " must be a string");
            return null;
        }
        return v.asText();
    }

    /** Checks an inline envelope's hash and size and parses its content. */
    public static Content checkInline(AlephMessage m) throws MessageException {
        String ic = m.itemContent();
        if (ic.length() > ItemHashes.MAX_INLINE_CHARS) {
            throw new MessageException(ErrorCode.INVALID_FORMAT,
                    "Message too long: item_content has " + ic.length() + " characters, the limit is " + ItemHashes.MAX_INLINE_CHARS);
        }
        if (ic.contains("\\u0000")) throw new MessageException(ErrorCode.INVALID_FORMAT, "item_content contains a NUL character");
        String actual = ItemHashes.sha256Hex(ic);
        if (!actual.equals(m.itemHash())) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "item_hash does not match item_content",
                    Map.of("item_hash", m.itemHash(), "computed", actual));
        }
        return Contents.parse(m.type(), ic);
    }

    /** Checks the signature; error code 1 when it was not made by the sender. */
    public void checkSignature(AlephMessage m) throws MessageException {
        if (m.chain() == null || !m.chain().isEvm()) {
            throw new MessageException(ErrorCode.INVALID_SIGNATURE,
                    "signature verification of chain " + m.chain() + " is not supported (EVM chains only)",
                    Map.of("chain", String.valueOf(m.chain())));
        }
        if (Signatures.parse(m.signature()) == null) {
            throw new MessageException(ErrorCode.INVALID_SIGNATURE, "malformed signature: expected 65 bytes of hex (r, s, v)");
        }
        if (!verifier.verify(m)) {
            throw new MessageException(ErrorCode.INVALID_SIGNATURE, "signature does not match sender " + m.sender());
        }
    }

    /**
     * Full validation of a submitted envelope. Inline content is parsed and returned; for storage
     * and ipfs items the content is null and must be fetched and checked with {@link #checkFetched}.
     */
    public Validated validate(JsonNode json) throws MessageException {
        AlephMessage m = parseEnvelope(json);
        Content content = m.itemType() == ItemType.INLINE ? checkInline(m) : null;
        checkSignature(m);
        return new Validated(m, content);
    }

    /** Checks fetched non-inline content bytes against the item hash and parses them. */
    public static Content checkFetched(AlephMessage m, byte[] bytes) throws MessageException {
        if (m.itemType() == ItemType.STORAGE && !ItemHashes.sha256Hex(bytes).equals(m.itemHash())) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "fetched content does not hash to item_hash");
        }
        return Contents.parse(m.type(), new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }
}

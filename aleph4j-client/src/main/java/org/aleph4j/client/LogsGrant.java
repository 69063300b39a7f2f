package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;

/**
 * A short-lived, owner-signed permission to read one program's logs, carried in a console link
 * ({@code aleph program logs HASH --open}) and sent to a CRN in the header {@value #HEADER}.
 *
 * <p>Encoded form: base64url without padding of the UTF-8 JSON
 * {@code {"item_hash", "address", "expires" (unix seconds), "signature" ("0x" + r‖s‖v)}}, where the
 * signature is the owner's EIP-191 personal_sign of {@link #signedText(String, String, long)}.
 * A grant is valid while {@code expires} is in the future and at most {@link #MAX_AHEAD} ahead;
 * whoever accepts it must still check that {@link #address()} owns the program.
 *
 * @param itemHash  the program's item hash
 * @param address   the signer's address as written in the grant
 * @param expires   unix seconds after which the grant is refused
 * @param signature the EIP-191 signature, 0x-prefixed hex
 */
public record LogsGrant(String itemHash, String address, long expires, String signature) {
    /** The HTTP header that carries an encoded grant. */
    public static final String HEADER = "X-Aleph4j-Logs-Grant";
    /** The furthest in the future a grant may expire. */
    public static final Duration MAX_AHEAD = Duration.ofHours(1);
    /** Encoded grants longer than this are refused before decoding (a real one is about 400 characters). */
    public static final int MAX_ENCODED_LENGTH = 2048;

    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Set<String> FIELDS = Set.of("item_hash", "address", "expires", "signature");

    public LogsGrant {
        Objects.requireNonNull(itemHash, "itemHash");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(signature, "signature");
    }

    /** Why a grant was refused; the message says it in one sentence fit for an HTTP 401 body. */
    public static final class InvalidGrantException extends RuntimeException {
        public InvalidGrantException(String message) {
            super(message);
        }
    }

    /** The text the owner signs: {@code aleph4j logs grant\nitem_hash: H\naddress: A\nexpires: S}. */
    public static String signedText(String itemHash, String address, long expires) {
        return "aleph4j logs grant\nitem_hash: " + itemHash + "\naddress: " + address + "\nexpires: " + expires;
    }

    /**
     * Signs a grant for {@code itemHash} with {@code owner}'s key, expiring at {@code expires}
     * (truncated to whole seconds).
     */
    public static LogsGrant create(EthAccount owner, String itemHash, Instant expires) {
        if (!ItemHashes.isItemHash(itemHash)) throw new IllegalArgumentException("not an item hash: " + itemHash);
        long seconds = expires.getEpochSecond();
        String address = owner.address();
        return new LogsGrant(itemHash, address, seconds, owner.signEip191(signedText(itemHash, address, seconds)));
    }

    /** The expiry as an instant. */
    public Instant expiresAt() {
        return Instant.ofEpochSecond(expires);
    }

    /** The base64url (no padding) form that goes into links and the {@value #HEADER} header. */
    public String encode() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("item_hash", itemHash);
        o.put("address", address);
        o.put("expires", expires);
        o.put("signature", signature);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Json.write(o).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Decodes a grant's form without checking its signature or time: base64url of a JSON object with
     * exactly the four fields, an item hash, a 0x address, a whole-number expiry. Input longer than
     * {@link #MAX_ENCODED_LENGTH} is refused before decoding.
     *
     * @throws InvalidGrantException when the text is not a well-formed grant
     */
    public static LogsGrant decode(String encoded) {
        if (encoded == null || encoded.isBlank()) throw new InvalidGrantException("Missing logs grant");
        if (encoded.length() > MAX_ENCODED_LENGTH) {
            throw new InvalidGrantException("Logs grant is longer than " + MAX_ENCODED_LENGTH + " characters");
        }
        String text = encoded.strip();
        if (text.endsWith("=")) text = text.replaceAll("=+$", "");
        if (!BASE64URL.matcher(text).matches()) throw new InvalidGrantException("Logs grant is not base64url");
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidGrantException("Logs grant is not base64url");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (Exception e) {
            node = null;
        }
        if (node == null || !node.isObject()) throw new InvalidGrantException("Logs grant is not a JSON object");
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) throw new InvalidGrantException("Logs grant has an unknown field: " + abbreviate(name));
        }
        JsonNode hash = node.get("item_hash");
        JsonNode address = node.get("address");
        JsonNode expires = node.get("expires");
        JsonNode signature = node.get("signature");
        if (hash == null || !hash.isTextual() || !ItemHashes.isItemHash(hash.textValue())) {
            throw new InvalidGrantException("Logs grant has no valid item_hash");
        }
        if (address == null || !address.isTextual() || !ADDRESS.matcher(address.textValue()).matches()) {
            throw new InvalidGrantException("Logs grant has no valid address");
        }
        if (expires == null || !expires.isIntegralNumber() || !expires.canConvertToLong()) {
            throw new InvalidGrantException("Logs grant has no valid expires (unix seconds)");
        }
        if (signature == null || !signature.isTextual() || Signatures.parse(signature.textValue()) == null) {
            throw new InvalidGrantException("Logs grant has no valid signature");
        }
        return new LogsGrant(hash.textValue(), address.textValue(), expires.longValue(), signature.textValue());
    }

    /**
     * Decodes and checks a grant for {@code itemHash} at the time of {@code clock}: the hash matches,
     * it has not expired, it expires at most {@link #MAX_AHEAD} from now, and its signature recovers
     * to its address. The caller checks that address against the program's owner.
     *
     * @return the grant, its address as signed
     * @throws InvalidGrantException saying which check failed
     */
    public static LogsGrant verify(String encoded, String itemHash, InstantSource clock, SignatureVerifier verifier) {
        LogsGrant grant = decode(encoded);
        if (!grant.itemHash.equals(itemHash)) throw new InvalidGrantException("Logs grant is for another program");
        long now = clock.instant().getEpochSecond();
        if (grant.expires <= now) throw new InvalidGrantException("Logs grant expired");
        if (grant.expires - now > MAX_AHEAD.toSeconds()) {
            throw new InvalidGrantException("Logs grant expires more than " + MAX_AHEAD.toMinutes() + " minutes ahead");
        }
        if (!verifier.verify(signedText(grant.itemHash, grant.address, grant.expires), grant.signature, grant.address)) {
            throw new InvalidGrantException("Logs grant is not signed by " + grant.address);
        }
        return grant;
    }

    /** True when this grant's signer is {@code owner} (addresses compare case-insensitively). */
    public boolean signedBy(String owner) {
        return owner != null && address.equalsIgnoreCase(owner);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}

package org.aleph4j.crn.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;

/**
 * Verifies upstream's owner-operation headers (reference §6.6): {@code X-SignedPubKey} carries an
 * ephemeral P-256 JWK signed EIP-191 by the wallet, {@code X-SignedOperation} an ES256 signature of
 * {time, method, path, domain} by that key. Returns the wallet address; replays within the time
 * window are refused.
 */
public final class OwnerAuth {
    static final Duration WINDOW = Duration.ofMinutes(2);
    private final Set<String> domains;
    private final InstantSource clock;
    private final SignatureVerifier verifier = SignatureVerifier.best();
    private final Map<String, Instant> seen = new ConcurrentHashMap<>();

    public OwnerAuth(Set<String> domains, InstantSource clock) {
        this.domains = domains;
        this.clock = clock;
    }

    /** The wallet address that signed this {@code method path} operation, or a 401 explaining why not. */
    public String verify(String signedPubKey, String signedOperation, String method, String path) {
        if (signedPubKey == null || signedOperation == null) {
            throw new CrnException(401, "Missing X-SignedPubKey or X-SignedOperation header");
        }
        Instant now = clock.instant();
        JsonNode keyHeader = parse(signedPubKey, "X-SignedPubKey");
        byte[] keyPayload = hex(keyHeader.path("payload").asText(""), "X-SignedPubKey payload");
        JsonNode keyContent = parse(new String(keyPayload, StandardCharsets.UTF_8), "X-SignedPubKey payload");
        String address = keyContent.path("address").asText("");
        byte[] walletSig = Signatures.parse(keyHeader.path("signature").asText(""));
        if (walletSig == null) throw new CrnException(401, "Invalid signature in X-SignedPubKey");
        // upstream signs the payload bytes (encode_defunct(hexstr=...)); some clients sign the hex text itself
        String recovered = verifier.recover(Signatures.eip191Hash(keyPayload), walletSig);
        if (recovered == null || !recovered.equalsIgnoreCase(address)) {
            String hexText = keyHeader.path("payload").asText("");
            recovered = verifier.recover(Signatures.eip191Hash(hexText.getBytes(StandardCharsets.UTF_8)), walletSig);
        }
        if (recovered == null || !recovered.equalsIgnoreCase(address)) {
            throw new CrnException(401, "Invalid signature in X-SignedPubKey: not signed by " + address);
        }
        Instant expires = time(keyContent.path("expires").asText(""), "expires");
        if (!now.isBefore(expires)) throw new CrnException(401, "Token expired");
        if (!domains.contains(keyContent.path("domain").asText(""))) {
            throw new CrnException(401, "Invalid domain in X-SignedPubKey: " + keyContent.path("domain").asText(""));
        }
        PublicKey key = jwk(keyContent.path("pubkey"));

        JsonNode opHeader = parse(signedOperation, "X-SignedOperation");
        byte[] opPayload = hex(opHeader.path("payload").asText(""), "X-SignedOperation payload");
        String opSigHex = opHeader.path("signature").asText("");
        byte[] opSig = hex(opSigHex, "X-SignedOperation signature");
        try {
            Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
            es256.initVerify(key);
            es256.update(opPayload);
            if (opSig.length != 64 || !es256.verify(opSig)) throw new CrnException(401, "Invalid signature in X-SignedOperation");
        } catch (java.security.GeneralSecurityException e) {
            throw new CrnException(401, "Invalid signature in X-SignedOperation: " + e.getMessage());
        }
        JsonNode op = parse(new String(opPayload, StandardCharsets.UTF_8), "X-SignedOperation payload");
        Instant at = time(op.path("time").asText(""), "time");
        if (Duration.between(at, now).abs().compareTo(WINDOW) > 0) {
            throw new CrnException(401, "Operation time is not within 2 minutes of the node's time");
        }
        if (!method.equalsIgnoreCase(op.path("method").asText(""))) throw new CrnException(401, "Invalid method in X-SignedOperation");
        if (!path.equals(op.path("path").asText(""))) throw new CrnException(401, "Invalid path in X-SignedOperation");
        if (!domains.contains(op.path("domain").asText(""))) throw new CrnException(401, "Invalid domain in X-SignedOperation");
        seen.values().removeIf(t -> t.isBefore(now.minus(WINDOW.multipliedBy(2))));
        if (seen.putIfAbsent(opSigHex.toLowerCase(java.util.Locale.ROOT), now) != null) {
            throw new CrnException(401, "Operation already used (replay)");
        }
        return address;
    }

    private static JsonNode parse(String text, String what) {
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            if (n == null || !n.isObject()) throw new CrnException(401, what + " is not a JSON object");
            return n;
        } catch (CrnException e) {
            throw e;
        } catch (Exception e) {
            throw new CrnException(401, what + " is not valid JSON");
        }
    }

    private static byte[] hex(String text, String what) {
        String h = text.startsWith("0x") ? text.substring(2) : text;
        try {
            return HexFormat.of().parseHex(h);
        } catch (IllegalArgumentException e) {
            throw new CrnException(401, what + " is not hex");
        }
    }

    static Instant time(String iso, String field) {
        try {
            return OffsetDateTime.parse(iso).toInstant();
        } catch (Exception e) {
            try {
                return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC);
            } catch (Exception e2) {
                throw new CrnException(401, "Invalid " + field + ": " + iso);
            }
        }
    }

    private static PublicKey jwk(JsonNode jwk) {
        try {
            if (!"EC".equals(jwk.path("kty").asText()) || !"P-256".equals(jwk.path("crv").asText())) {
                throw new CrnException(401, "pubkey must be a P-256 EC JWK");
            }
            Base64.Decoder d = Base64.getUrlDecoder();
            BigInteger x = new BigInteger(1, d.decode(jwk.path("x").asText()));
            BigInteger y = new BigInteger(1, d.decode(jwk.path("y").asText()));
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec("secp256r1"));
            ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), spec));
        } catch (CrnException e) {
            throw e;
        } catch (Exception e) {
            throw new CrnException(401, "Invalid pubkey in X-SignedPubKey: " + e.getMessage());
        }
    }
}

package org.aleph4j.client.crn;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * Upstream's VM-owner authentication to a CRN (reference §6.6). An ephemeral P-256 key is
 * authorised once by the wallet: {@code X-SignedPubKey} = JSON {@code {payload, signature}} where
 * payload is the hex of JSON {@code {pubkey: JWK, alg: "ECDSA", domain, address, chain: "ETH",
 * expires}} and signature is the wallet's EIP-191 signature of those JSON bytes. Each request then
 * carries {@code X-SignedOperation} = JSON {@code {payload, signature}} where payload is the hex of
 * JSON {@code {time, method, path, domain}} and signature is the hex of the raw (r‖s, 64 bytes)
 * ES256 signature of the payload bytes by the ephemeral key.
 */
public final class OwnerAuth {
    public static final String SIGNED_PUBKEY_HEADER = "X-SignedPubKey";
    public static final String SIGNED_OPERATION_HEADER = "X-SignedOperation";
    private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    private final KeyPair ephemeral;
    private final String signedPubKeyHeader;
    private final String domain;
    private final InstantSource clock;

    /**
     * @param owner    the wallet key (the program's owner or a delegate)
     * @param domain   the CRN's domain as the CRN knows itself (host[:port] of its URL)
     * @param validity how long the ephemeral key is authorised (upstream's SDK: 1 day)
     */
    public OwnerAuth(EthAccount owner, String domain, Duration validity, InstantSource clock) {
        this.domain = domain;
        this.clock = clock;
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            this.ephemeral = gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("P-256 is always available", e);
        }
        ObjectNode payload = JsonNodeFactory.instance.objectNode();
        payload.set("pubkey", Json.MAPPER.valueToTree(jwk((ECPublicKey) ephemeral.getPublic())));
        payload.put("alg", "ECDSA");
        payload.put("domain", domain);
        payload.put("address", owner.address());
        payload.put("chain", "ETH");
        payload.put("expires", ISO.format(clock.instant().plus(validity).atOffset(ZoneOffset.UTC)));
        byte[] payloadBytes = Json.write(payload).getBytes(StandardCharsets.UTF_8);
        ObjectNode header = JsonNodeFactory.instance.objectNode();
        header.put("payload", HexFormat.of().formatHex(payloadBytes));
        // Upstream signs the payload bytes themselves (encode_defunct(hexstr=payload)), not the hex text.
        header.put("signature", owner.signEip191(payloadBytes));
        this.signedPubKeyHeader = Json.write(header);
    }

    /** Authorisation valid for one day, on the system clock. */
    public OwnerAuth(EthAccount owner, String domain) {
        this(owner, domain, Duration.ofDays(1), InstantSource.system());
    }

    /** The CRN domain the headers are bound to. */
    public String domain() {
        return domain;
    }

    /** The {@code X-SignedPubKey} header value (the same for every request). */
    public String signedPubKey() {
        return signedPubKeyHeader;
    }

    /** The {@code X-SignedOperation} header value for one request, timestamped now. */
    public String signedOperation(String method, String path) {
        ObjectNode op = JsonNodeFactory.instance.objectNode();
        op.put("time", ISO.format(Instant.ofEpochMilli(clock.millis()).atOffset(ZoneOffset.UTC)));
        op.put("method", method.toUpperCase(java.util.Locale.ROOT));
        op.put("path", path);
        op.put("domain", domain);
        byte[] payload = Json.write(op).getBytes(StandardCharsets.UTF_8);
        try {
            Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
            es256.initSign(ephemeral.getPrivate());
            es256.update(payload);
            ObjectNode header = JsonNodeFactory.instance.objectNode();
            header.put("payload", HexFormat.of().formatHex(payload));
            header.put("signature", HexFormat.of().formatHex(es256.sign()));
            return Json.write(header);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ES256 signing failed", e);
        }
    }

    /** Both headers for one request. */
    public Map<String, String> headers(String method, String path) {
        return Map.of(SIGNED_PUBKEY_HEADER, signedPubKeyHeader, SIGNED_OPERATION_HEADER, signedOperation(method, path));
    }

    /** The public JWK of a P-256 key: {@code {crv, kty, x, y}} with base64url coordinates. */
    static Map<String, String> jwk(ECPublicKey key) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return new java.util.TreeMap<>(Map.of(
                "crv", "P-256", "kty", "EC",
                "x", b64.encodeToString(fixed32(key.getW().getAffineX())),
                "y", b64.encodeToString(fixed32(key.getW().getAffineY()))));
    }

    private static byte[] fixed32(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }
}

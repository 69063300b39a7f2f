package org.aleph4j.client.scheduler;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The HMAC side of the heartbeat channel, shared by the scheduler and its nodes. A session is opened by
 * one signed heartbeat (the answer, signed as always, carries a random 32-byte secret sealed to the
 * node's key); later heartbeats carry the session id (header {@value #SESSION_HEADER}) and an
 * HMAC-SHA256 of their exact body bytes (header {@value #MAC_HEADER}) instead of a signature, and the
 * answers carry an HMAC of their exact bytes instead of a signature. Requests and answers are MACed
 * under different labels, so neither can be passed off as the other.
 */
public final class HeartbeatSession {
    /** Request header naming the session a heartbeat belongs to. */
    public static final String SESSION_HEADER = "X-Aleph4j-Session";
    /** Header holding the hex HMAC-SHA256 of a request or answer body in a session. */
    public static final String MAC_HEADER = "X-Aleph4j-Mac";
    /** {@code error_code} of the refusal of a session heartbeat (unknown, expired or another incarnation's session, bad MAC). */
    public static final int SESSION_ERROR = 6;
    private static final byte[] REQUEST = "aleph4j heartbeat request\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ANSWER = "aleph4j heartbeat answer\n".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private HeartbeatSession() {}

    /** The context the session secret is sealed under: bound to the session, the node and the incarnation. */
    public static String sealContext(String sessionId, String nodeAddress, long incarnation) {
        return "aleph4j heartbeat session " + sessionId + " " + nodeAddress.toLowerCase(java.util.Locale.ROOT) + " " + incarnation;
    }

    /** Hex HMAC of a heartbeat request body. */
    public static String requestMac(byte[] secret, byte[] body) {
        return HEX.formatHex(mac(secret, REQUEST, body));
    }

    /** Hex HMAC of a heartbeat answer body. */
    public static String answerMac(byte[] secret, byte[] body) {
        return HEX.formatHex(mac(secret, ANSWER, body));
    }

    /** True when {@code macHex} is the request HMAC of {@code body} (constant time). */
    public static boolean requestMacValid(byte[] secret, byte[] body, String macHex) {
        return equal(mac(secret, REQUEST, body), macHex);
    }

    /** True when {@code macHex} is the answer HMAC of {@code body} (constant time). */
    public static boolean answerMacValid(byte[] secret, byte[] body, String macHex) {
        return equal(mac(secret, ANSWER, body), macHex);
    }

    private static boolean equal(byte[] expected, String macHex) {
        if (macHex == null || macHex.length() != 64) return false;
        byte[] given;
        try {
            given = HEX.parseHex(macHex);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(expected, given);
    }

    private static byte[] mac(byte[] secret, byte[] label, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(label);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}

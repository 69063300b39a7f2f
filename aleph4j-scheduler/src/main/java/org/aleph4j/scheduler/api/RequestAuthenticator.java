package org.aleph4j.scheduler.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;
import org.aleph4j.message.Ticker;
import org.aleph4j.scheduler.engine.SchedulerError;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks a signed CRN request: EIP-191 signature over the exact body bytes by the address in the body,
 * that address in the allowed list ({@code *} allows any), {@code time} within the allowed skew of the
 * scheduler's wall clock, and a nonce not seen within twice the skew (replays are refused), remembered
 * in a bounded {@link NonceMemory}. The memory does not survive a restart: heartbeats are bound to the
 * scheduler's incarnation as well, so one recorded before a restart or takeover renews nothing after it.
 */
public final class RequestAuthenticator {
    /** Nonces remembered per node: a node heartbeating every 100 ms needs 600 for a 60 s window. */
    public static final int MAX_NONCES_PER_NODE = 1024;
    /** Nonces remembered in all (some 25 MB at most). */
    public static final int MAX_NONCES = 100_000;
    private final Set<String> allowed;
    private final SignatureVerifier verifier;
    private final InstantSource wallClock;
    private final Ticker ticker;
    private final Duration maxSkew;
    private final NonceMemory nonces;

    public RequestAuthenticator(Set<String> allowedAddresses, SignatureVerifier verifier, InstantSource wallClock,
                                Ticker ticker, Duration maxSkew) {
        this(allowedAddresses, verifier, wallClock, ticker, maxSkew,
                new NonceMemory(maxSkew.multipliedBy(2), MAX_NONCES_PER_NODE, MAX_NONCES));
    }

    /** With the nonce memory given (tests bound it tighter). */
    public RequestAuthenticator(Set<String> allowedAddresses, SignatureVerifier verifier, InstantSource wallClock,
                                Ticker ticker, Duration maxSkew, NonceMemory nonces) {
        this.allowed = allowedAddresses.stream().map(String::toLowerCase).collect(Collectors.toUnmodifiableSet());
        this.verifier = verifier;
        this.wallClock = wallClock;
        this.ticker = ticker;
        this.maxSkew = maxSkew;
        this.nonces = nonces;
    }

    /** Verifies and parses a signed body into {@code type}; throws {@link SchedulerError} on any failure. */
    public <T> T verify(byte[] body, String signature, Class<T> type) {
        return verify(body, signature, type, "node_address", true);
    }

    /**
     * Verifies a body signed by a user ({@code sender}, any address: whether it may act is the
     * caller's decision), with the same time and replay checks as a node's.
     */
    public <T> T verifyUser(byte[] body, String signature, Class<T> type) {
        return verify(body, signature, type, "sender", false);
    }

    /**
     * Verifies a request in a heartbeat session: the body's HMAC under the session's secret ({@code mac}),
     * the session open (the caller looked it up: null when unknown, expired or of another incarnation) and
     * of the node the body names, then the same allowed-list, time and replay checks as a signed request.
     * Any session failure is a 401 with {@code error_code}
     * {@value org.aleph4j.client.scheduler.HeartbeatSession#SESSION_ERROR}, on which the node falls back
     * to a signed heartbeat.
     */
    public <T> T verifySession(byte[] body, HeartbeatSessions.Session session, String mac, Class<T> type) {
        if (session == null) throw sessionError("unknown or expired heartbeat session: send a signed heartbeat");
        if (!org.aleph4j.client.scheduler.HeartbeatSession.requestMacValid(session.secret(), body, mac)) {
            throw sessionError("the heartbeat's MAC does not verify under its session");
        }
        JsonNode tree = parse(body);
        String address = tree.path("node_address").asText(null);
        if (address == null || !address.equalsIgnoreCase(session.nodeAddress())) {
            throw sessionError("the session belongs to another node");
        }
        return checked(tree, address, "node_address", true, type);
    }

    private static SchedulerError sessionError(String message) {
        return new SchedulerError(401, org.aleph4j.client.scheduler.HeartbeatSession.SESSION_ERROR, message, Map.of());
    }

    private static JsonNode parse(byte[] body) {
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(body);
        } catch (Exception e) {
            throw SchedulerError.badRequest("body is not JSON");
        }
        if (tree == null || !tree.isObject()) throw SchedulerError.badRequest("body must be a JSON object");
        return tree;
    }

    private <T> T verify(byte[] body, String signature, Class<T> type, String signerField, boolean nodesOnly) {
        if (signature == null || signature.isBlank()) {
            throw new SchedulerError(401, SchedulerError.INVALID_SIGNATURE, "missing signature header", Map.of());
        }
        JsonNode tree = parse(body);
        String address = tree.path(signerField).asText(null);
        String nonce = tree.path("nonce").asText(null);
        if (address == null || !address.matches("0x[0-9a-fA-F]{40}")) {
            throw SchedulerError.badRequest(signerField + " must be a 0x address");
        }
        if (nonce == null || nonce.length() < 8 || nonce.length() > 128) {
            throw SchedulerError.badRequest("nonce must be 8 to 128 characters");
        }
        if (!tree.path("time").isNumber()) throw SchedulerError.badRequest("time must be a number of seconds");
        byte[] sig = Signatures.parse(signature);
        String signer = sig == null ? null : verifier.recover(Signatures.eip191Hash(body), sig);
        if (signer == null || !signer.equalsIgnoreCase(address)) {
            throw new SchedulerError(401, SchedulerError.INVALID_SIGNATURE,
                    "signature does not match " + signerField + " " + address, Map.of("signer", String.valueOf(signer)));
        }
        return checked(tree, address, signerField, nodesOnly, type);
    }

    /** The checks after authentication: allowed list, time window, nonce; then the typed body. */
    private <T> T checked(JsonNode tree, String address, String signerField, boolean nodesOnly, Class<T> type) {
        String nonce = tree.path("nonce").asText(null);
        if (nonce == null || nonce.length() < 8 || nonce.length() > 128) {
            throw SchedulerError.badRequest("nonce must be 8 to 128 characters");
        }
        if (!tree.path("time").isNumber()) throw SchedulerError.badRequest("time must be a number of seconds");
        if (nodesOnly && !allowed.contains("*") && !allowed.contains(address.toLowerCase())) {
            throw new SchedulerError(403, SchedulerError.NODE_NOT_ALLOWED, "node " + address + " is not in the allowed list",
                    Map.of("node_address", address));
        }
        double time = tree.get("time").asDouble();
        double skew = Math.abs(wallClock.millis() / 1000.0 - time);
        if (skew > maxSkew.toMillis() / 1000.0) {
            throw new SchedulerError(400, SchedulerError.STALE_REQUEST,
                    "request time is " + Math.round(skew) + " s away from the scheduler's clock (max " + maxSkew.toSeconds() + " s)",
                    Map.of("skew_seconds", skew));
        }
        switch (nonces.record(address.toLowerCase(), nonce, time, ticker.nanos())) {
            case FRESH -> { }
            case REPLAYED -> throw new SchedulerError(409, SchedulerError.REPLAYED_REQUEST,
                    "request replayed (nonce already used)", Map.of("nonce", nonce));
            case TOO_OLD -> throw new SchedulerError(409, SchedulerError.REPLAYED_REQUEST,
                    "request not newer than one the replay memory had to forget (too many requests): send a fresh one",
                    Map.of("nonce", nonce));
        }
        try {
            return Json.MAPPER.treeToValue(tree, type);
        } catch (Exception e) {
            throw SchedulerError.badRequest("invalid body: " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

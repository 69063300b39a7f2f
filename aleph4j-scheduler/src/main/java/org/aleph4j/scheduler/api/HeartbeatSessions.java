package org.aleph4j.scheduler.api;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The heartbeat sessions this scheduler process opened (memory only: a restart or a new incarnation
 * forgets them all, and the nodes fall back to signed heartbeats). One session per node: opening a new
 * one ends the node's previous one. Each lasts {@code lifetime} from its opening and belongs to one
 * incarnation; at most {@code max} are kept (the oldest goes first). Times are monotonic nanos passed
 * by the caller. Thread-safe.
 */
public final class HeartbeatSessions {
    /** Default lifetime of a session; nodes rotate at 80 % of it. */
    public static final Duration LIFETIME = Duration.ofMinutes(10);
    /** Default bound: one session per node of a large fleet. */
    public static final int MAX_SESSIONS = 200_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    /** An open session: its node (lowercase), secret, incarnation and monotonic expiry. */
    public record Session(String id, String nodeAddress, byte[] secret, long incarnation, long expiresAtNanos) {}

    private final long lifetimeNanos;
    private final int max;
    private final Map<String, Session> byId = new LinkedHashMap<>(); // opening order
    private final Map<String, String> idByNode = new HashMap<>();

    public HeartbeatSessions(Duration lifetime, int max) {
        if (max < 1 || lifetime.isNegative() || lifetime.isZero()) throw new IllegalArgumentException("need a positive lifetime and bound");
        this.lifetimeNanos = lifetime.toNanos();
        this.max = max;
    }

    public long lifetimeMs() {
        return lifetimeNanos / 1_000_000;
    }

    /** Opens a new session for {@code nodeAddress} in {@code incarnation}, ending the node's previous one. */
    public synchronized Session open(String nodeAddress, long incarnation, long nowNanos) {
        String node = nodeAddress.toLowerCase(java.util.Locale.ROOT);
        String previous = idByNode.remove(node);
        if (previous != null) byId.remove(previous);
        byte[] id = new byte[16];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        Session s = new Session(HEX.formatHex(id), node, secret, incarnation, nowNanos + lifetimeNanos);
        byId.put(s.id(), s);
        idByNode.put(node, s.id());
        for (Iterator<Session> it = byId.values().iterator(); byId.size() > max && it.hasNext(); ) {
            Session oldest = it.next();
            it.remove();
            idByNode.remove(oldest.nodeAddress(), oldest.id());
        }
        return s;
    }

    /** The session {@code id} if it is open, unexpired at {@code nowNanos} and of {@code incarnation}; else null. */
    public synchronized Session find(String id, long incarnation, long nowNanos) {
        Session s = id == null ? null : byId.get(id);
        if (s == null) return null;
        if (nowNanos - s.expiresAtNanos() > 0 || s.incarnation() != incarnation) {
            byId.remove(id);
            idByNode.remove(s.nodeAddress(), id);
            return null;
        }
        return s;
    }

    /** Sessions open now (expired ones are dropped when next looked up). */
    public synchronized int size() {
        return byId.size();
    }
}

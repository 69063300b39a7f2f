package org.aleph4j.scheduler.api;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The nonces of signed CRN requests seen lately, so that a replay is refused, in bounded memory.
 * A request is only accepted when its {@code time} is within the allowed skew of the scheduler's clock,
 * so a nonce needs remembering for {@code window} (twice that skew) after it arrived; then it is
 * forgotten. Two bounds hold whatever the traffic: at most {@code maxPerNode} nonces per node and at
 * most {@code maxTotal} in all. When a bound forces a nonce out early (oldest first), the memory raises
 * a floor to that request's {@code time}, for that node (per-node bound) or for everyone (total bound),
 * and refuses every later request whose {@code time} is not above it: a forgotten nonce can then never be
 * replayed, at the price of refusing a node that sends requests out of order while it floods.
 * Not tied to a clock: callers pass monotonic now. Thread-safe.
 */
public final class NonceMemory {
    /** What became of one request. */
    public enum Outcome {
        /** Not seen before: remembered now. */
        FRESH,
        /** The same nonce of the same node was seen within the window. */
        REPLAYED,
        /** Not newer than a request forgotten early (a bound was reached): it might be a replay. */
        TOO_OLD
    }

    private record Seen(String node, String nonce, double time, long atNanos) {}

    private static final class NodeNonces {
        final Map<String, Seen> nonces = new LinkedHashMap<>(); // arrival order
        double floor = Double.NEGATIVE_INFINITY;
    }

    private final long windowNanos;
    private final int maxPerNode;
    private final int maxTotal;
    private final Map<String, NodeNonces> byNode = new HashMap<>();
    /** Every remembered nonce in arrival order (entries already forgotten by their node are skipped). */
    private final Deque<Seen> arrivals = new ArrayDeque<>();
    private double globalFloor = Double.NEGATIVE_INFINITY;
    private int size;

    public NonceMemory(Duration window, int maxPerNode, int maxTotal) {
        if (maxPerNode < 1 || maxTotal < maxPerNode) throw new IllegalArgumentException("need 1 <= maxPerNode <= maxTotal");
        this.windowNanos = window.toNanos();
        this.maxPerNode = maxPerNode;
        this.maxTotal = maxTotal;
    }

    /**
     * Records {@code nonce} of {@code node} (lowercase address) for a request claiming {@code time}
     * (seconds) that arrived at {@code nowNanos}, unless it is a replay or too old.
     */
    public synchronized Outcome record(String node, String nonce, double time, long nowNanos) {
        expire(nowNanos);
        NodeNonces n = byNode.get(node);
        if (time <= globalFloor || (n != null && time <= n.floor)) return Outcome.TOO_OLD;
        if (n != null && n.nonces.containsKey(nonce)) return Outcome.REPLAYED;
        if (n == null) {
            n = new NodeNonces();
            byNode.put(node, n);
        }
        if (n.nonces.size() >= maxPerNode) {
            var oldest = n.nonces.entrySet().iterator();
            Seen gone = oldest.next().getValue();
            oldest.remove();
            size--;
            n.floor = Math.max(n.floor, gone.time());
        }
        Seen seen = new Seen(node, nonce, time, nowNanos);
        n.nonces.put(nonce, seen);
        arrivals.addLast(seen);
        size++;
        // The queue also holds entries their node dropped already; bounding it bounds everything.
        while (arrivals.size() > maxTotal) {
            Seen gone = arrivals.removeFirst();
            NodeNonces of = byNode.get(gone.node());
            if (forget(gone)) {
                globalFloor = Math.max(globalFloor, gone.time());
                // the node's own floor goes with its entry: the global floor takes it over
                if (!byNode.containsKey(gone.node())) globalFloor = Math.max(globalFloor, of.floor);
            }
        }
        return Outcome.FRESH;
    }

    private void expire(long nowNanos) {
        while (!arrivals.isEmpty() && nowNanos - arrivals.peekFirst().atNanos() > windowNanos) forget(arrivals.removeFirst());
    }

    /** Drops a remembered nonce if it is still remembered; true when it was. */
    private boolean forget(Seen s) {
        NodeNonces n = byNode.get(s.node());
        if (n == null || n.nonces.get(s.nonce()) != s) return false;
        n.nonces.remove(s.nonce());
        size--;
        // On expiry, a node's floor only guards nonces it dropped before this one arrived, more than the window
        // ago: their time is outside the allowed skew by now. On overflow the caller keeps the floor globally.
        if (n.nonces.isEmpty()) byNode.remove(s.node());
        return true;
    }

    /** Nonces remembered now. */
    public synchronized int size() {
        return size;
    }

    /** Nodes with remembered nonces now. */
    public synchronized int nodes() {
        return byNode.size();
    }
}

package org.aleph4j.scheduler.lease;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The leases the scheduler has granted, as pure state over monotonic times given by the caller (not
 * thread-safe: the scheduler guards it with one lock). Invariants it enforces:
 * <ul>
 *   <li>a program is assigned to a new node only when no lease on it can still be believed:
 *       the previous one lapsed ({@link LeasePolicy#lapsed}) or its holder released it;</li>
 *   <li>epochs of a program strictly increase;</li>
 *   <li>a lapsed lease is never renewed, even before anyone removed it ({@link #lapsed}): once
 *       {@code lease_ttl + drift} passed since its last grant, its holder may have stopped the program
 *       and the scheduler may give it to another node.</li>
 * </ul>
 */
public final class LeaseBook {
    private final LeasePolicy policy;
    private final Map<String, Lease> leases = new HashMap<>();
    /** The same leases by holder, so that a heartbeat touches only its own node's (10,000 nodes, 50,000 leases). */
    private final Map<String, Map<String, Lease>> byNode = new HashMap<>();
    /** Programs removed (unpersist/forget) while a holder may still believe it holds them: not assignable before this. */
    private final Map<String, Long> quarantinedUntil = new HashMap<>();
    private final Map<String, Long> highestEpoch = new HashMap<>();

    public LeaseBook(LeasePolicy policy) {
        this.policy = policy;
    }

    public LeasePolicy policy() {
        return policy;
    }

    /**
     * Takes over an allocation recorded before this scheduler started (restart or standby takeover):
     * it is treated as granted NOW, since the previous scheduler may have renewed it just before.
     */
    public void adopt(String itemHash, String nodeAddress, long epoch, long nowNanos) {
        put(new Lease(itemHash, nodeAddress.toLowerCase(), epoch, nowNanos, false));
        highestEpoch.merge(itemHash, epoch, Math::max);
    }

    /** True when {@code itemHash} may be given to a node now. */
    public boolean assignable(String itemHash, long nowNanos) {
        if (leases.containsKey(itemHash)) return false;
        Long until = quarantinedUntil.get(itemHash);
        return until == null || nowNanos - until > 0;
    }

    /**
     * Assigns a program to a node under a new epoch, granted at {@code nowNanos}.
     *
     * @throws IllegalStateException when the program is not {@link #assignable} or the epoch does not grow
     */
    public Lease assign(String itemHash, String nodeAddress, long epoch, long nowNanos) {
        if (!assignable(itemHash, nowNanos)) {
            throw new IllegalStateException("program " + itemHash + " may still be held by " + holder(itemHash));
        }
        long highest = highestEpoch.getOrDefault(itemHash, 0L);
        if (epoch <= highest) {
            throw new IllegalStateException("epoch " + epoch + " of " + itemHash + " does not exceed " + highest);
        }
        quarantinedUntil.remove(itemHash);
        Lease lease = new Lease(itemHash, nodeAddress.toLowerCase(), epoch, nowNanos, false);
        put(lease);
        highestEpoch.put(itemHash, epoch);
        return lease;
    }

    private String holder(String itemHash) {
        Lease l = leases.get(itemHash);
        return l == null ? "a node whose lease was removed less than lease_ttl + drift ago" : l.nodeAddress();
    }

    /**
     * Renews every lease of {@code nodeAddress} that is neither being revoked nor lapsed; returns them
     * (the heartbeat reply).
     */
    public List<Lease> renew(String nodeAddress, long nowNanos) {
        String node = nodeAddress.toLowerCase();
        List<Lease> out = new ArrayList<>();
        Map<String, Lease> held = byNode.get(node);
        if (held == null) return out;
        for (Map.Entry<String, Lease> e : held.entrySet()) {
            Lease l = e.getValue();
            if (!l.revoking() && !policy.lapsed(l.lastGrantNanos(), nowNanos)) {
                Lease renewed = l.renewed(nowNanos);
                e.setValue(renewed);
                leases.put(renewed.itemHash(), renewed);
                out.add(renewed);
            }
        }
        out.sort((a, b) -> a.itemHash().compareTo(b.itemHash()));
        return out;
    }

    /** Stops renewing a lease; it lapses {@code lease_ttl + drift} after its last grant. */
    public Optional<Lease> revoke(String itemHash) {
        Lease l = leases.get(itemHash);
        if (l == null) return Optional.empty();
        Lease r = l.revoked();
        put(r);
        return Optional.of(r);
    }

    /**
     * The holder says it stopped the program: the lease ends now and the program is assignable at
     * once. Ignored (empty) unless {@code nodeAddress} holds it under {@code epoch}.
     */
    public Optional<Lease> release(String itemHash, String nodeAddress, long epoch) {
        Lease l = leases.get(itemHash);
        if (l == null || !l.nodeAddress().equalsIgnoreCase(nodeAddress) || l.epoch() != epoch) return Optional.empty();
        drop(itemHash);
        return Optional.of(l);
    }

    /**
     * The program is gone (unpersisted, forgotten, removed): stop renewing at once. It cannot be
     * assigned again until its last lease lapsed, in case it comes back.
     */
    public Optional<Lease> remove(String itemHash) {
        Lease l = drop(itemHash);
        if (l != null) quarantinedUntil.put(itemHash, l.lastGrantNanos() + policy.fenceNanos());
        return Optional.ofNullable(l);
    }

    /** Removes and returns the leases that lapsed by {@code nowNanos}. */
    public List<Lease> lapsed(long nowNanos) {
        List<Lease> out = new ArrayList<>();
        for (Iterator<Lease> it = leases.values().iterator(); it.hasNext(); ) {
            Lease l = it.next();
            if (policy.lapsed(l.lastGrantNanos(), nowNanos)) {
                it.remove();
                unindex(l);
                out.add(l);
            }
        }
        quarantinedUntil.values().removeIf(until -> nowNanos - until > 0);
        return out;
    }

    /** Removes the lease of {@code itemHash} if it lapsed by {@code nowNanos}; returns it. */
    public Optional<Lease> expire(String itemHash, long nowNanos) {
        Lease l = leases.get(itemHash);
        if (l == null || !policy.lapsed(l.lastGrantNanos(), nowNanos)) return Optional.empty();
        drop(itemHash);
        return Optional.of(l);
    }

    /** Programs not assignable yet because they were removed while held, each until when (monotonic nanos). */
    public Map<String, Long> quarantine(long nowNanos) {
        quarantinedUntil.values().removeIf(until -> nowNanos - until > 0);
        return Map.copyOf(quarantinedUntil);
    }

    public Optional<Lease> get(String itemHash) {
        return Optional.ofNullable(leases.get(itemHash));
    }

    /** Leases held now. */
    public int size() {
        return leases.size();
    }

    /** True when some lease lapsed by {@code nowNanos} (no copy). */
    public boolean anyLapsed(long nowNanos) {
        for (Lease l : leases.values()) if (policy.lapsed(l.lastGrantNanos(), nowNanos)) return true;
        return false;
    }

    public Collection<Lease> all() {
        return List.copyOf(leases.values());
    }

    /** The leases {@code nodeAddress} (lowercase) holds, revoked ones included. */
    public List<Lease> of(String nodeAddress) {
        Map<String, Lease> held = byNode.get(nodeAddress);
        return held == null ? List.of() : List.copyOf(held.values());
    }

    private void put(Lease l) {
        Lease before = leases.put(l.itemHash(), l);
        if (before != null && !before.nodeAddress().equals(l.nodeAddress())) unindex(before);
        byNode.computeIfAbsent(l.nodeAddress(), k -> new HashMap<>()).put(l.itemHash(), l);
    }

    private Lease drop(String itemHash) {
        Lease l = leases.remove(itemHash);
        if (l != null) unindex(l);
        return l;
    }

    private void unindex(Lease l) {
        Map<String, Lease> held = byNode.get(l.nodeAddress());
        if (held == null) return;
        held.remove(l.itemHash());
        if (held.isEmpty()) byNode.remove(l.nodeAddress());
    }

    public long highestEpoch(String itemHash) {
        return highestEpoch.getOrDefault(itemHash, 0L);
    }

    /** Forgets everything (this scheduler lost leadership). */
    public void clear() {
        leases.clear();
        byNode.clear();
        quarantinedUntil.clear();
    }
}

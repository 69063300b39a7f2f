package org.aleph4j.scheduler.engine;

import com.fasterxml.jackson.core.type.TypeReference;
import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.Release;
import org.aleph4j.client.scheduler.ReleaseReply;
import org.aleph4j.client.scheduler.Ticker;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.lease.LeaseBook;
import org.aleph4j.scheduler.lease.LeasePolicy;
import org.aleph4j.scheduler.placement.NodeCandidate;
import org.aleph4j.scheduler.placement.NodeRequirements;
import org.aleph4j.scheduler.placement.Placement;
import org.aleph4j.scheduler.placement.Plan;
import org.aleph4j.scheduler.placement.ProgramDemand;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Grants leases and places programs. All state changes happen under one lock, so a heartbeat's
 * renewal and the tick's decision that a lease lapsed can never interleave. The lease book lives in
 * memory (monotonic times cannot be stored); the database holds allocations and epochs, and a new
 * leader adopts every stored allocation as if granted at takeover.
 */
public final class AllocationEngine {
    private static final Logger log = LoggerFactory.getLogger(AllocationEngine.class);
    /** A program reported FAILED, or restarted this often, is moved to another node. */
    static final int CRASH_RESTARTS = 10;

    private final SchedulerStore store;
    private final LeasePolicy policy;
    private final Duration heartbeatInterval;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final LeaseBook book;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Long> lastHeartbeat = new ConcurrentHashMap<>();
    private final Set<String> draining = ConcurrentHashMap.newKeySet();
    /** Why a program lost its last node, for the history line of its next placement. */
    private final Map<String, String[]> lastLoss = new HashMap<>();
    private final Map<String, String> unschedulable = new HashMap<>();
    private final BooleanSupplier leaderValid;
    private final boolean requireIsolation;
    private volatile boolean leading;
    private long leaderSinceNanos;

    /**
     * @param leaderValid checked before every grant: false once this process can no longer be sure it
     *                    still holds the leader row (so a frozen ex-leader never renews a lease)
     * @param requireIsolation persistent programs go only to nodes whose executor isolates them
     */
    public AllocationEngine(SchedulerStore store, LeasePolicy policy, Duration heartbeatInterval, Ticker ticker,
                            InstantSource wallClock, BooleanSupplier leaderValid, boolean requireIsolation) {
        this.leaderValid = leaderValid;
        this.requireIsolation = requireIsolation;
        this.store = store;
        this.policy = policy;
        this.heartbeatInterval = heartbeatInterval;
        this.ticker = ticker;
        this.wallClock = wallClock;
        this.book = new LeaseBook(policy);
    }

    public LeasePolicy policy() {
        return policy;
    }

    public boolean leading() {
        return leading;
    }

    /** Node hash of an address: sha256 of its lowercase form, a 64-hex id like upstream's node hashes. */
    public static String nodeHash(String address) {
        return ItemHashes.sha256Hex(address.toLowerCase().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Starts leading: adopts every stored allocation as granted now, because the previous leader
     * (or this process before a restart) may have renewed it a moment ago.
     */
    public void becomeLeader() {
        lock.lock();
        try {
            long now = ticker.nanos();
            book.clear();
            lastHeartbeat.clear();
            for (var a : store.allocations()) book.adopt(a.itemHash(), a.nodeAddress(), a.epoch(), now);
            leaderSinceNanos = now;
            leading = true;
            log.info("leading: adopted {} allocations; no program moves before {} ms", book.all().size(),
                    policy.fenceNanos() / 1_000_000);
        } finally {
            lock.unlock();
        }
    }

    /** Stops granting at once (leadership lost or shutting down). */
    public void stopLeading() {
        lock.lock();
        try {
            if (leading) log.info("no longer leading");
            leading = false;
            book.clear();
        } finally {
            lock.unlock();
        }
    }

    private void requireLeader() {
        if (!leading || !leaderValid.getAsBoolean()) {
            var leader = store.leader();
            throw new SchedulerError(503, SchedulerError.NOT_LEADER, "this scheduler is a standby",
                    leader.url() == null ? Map.of() : Map.of("leader_url", leader.url()));
        }
    }

    // ---------------------------------------------------------------- CRN protocol

    /** Registers a verified heartbeat and answers with the node's allocations, renewing their leases. */
    public HeartbeatReply heartbeat(Heartbeat hb) {
        requireLeader();
        String node = hb.nodeAddress().toLowerCase();
        long nowMs = wallClock.millis();
        String executor = executorName(hb.executor());
        boolean isolated = hb.executor() != null && hb.executor().isolated();
        store.upsertNode(new NodeRow(node, nodeHash(node), hb.publicUrl(), hb.capacity().vcpus(),
                hb.capacity().memoryMib(), hb.capacity().diskMib(), Json.write(hb.runtimes()), hb.version(),
                Json.write(hb.executions()), nowMs, executor, isolated));
        List<Lease> renewed;
        lock.lock();
        try {
            requireLeader();
            long now = ticker.nanos();
            if (lastHeartbeat.put(node, now) == null) log.info("node {} ({}) is active", node, hb.publicUrl());
            draining.remove(node);
            for (ExecutionReport e : hb.executions()) checkCrashLoop(node, e, nowMs);
            if (requireIsolation && !isolated) revokeUnisolated(node, executor, nowMs);
            renewed = book.renew(node, now);
        } finally {
            lock.unlock();
        }
        // Grant times in the database are for display only (lease logic is monotonic, in memory): keep
        // this write out of the lock so heartbeats of many nodes do not queue behind it.
        store.touchGrants(node, renewed.stream().map(Lease::itemHash).toList(), nowMs);
        long ttlMs = policy.leaseTtl().toMillis();
        List<LeaseGrant> grants = renewed.stream().map(l -> new LeaseGrant(l.itemHash(), l.epoch(), ttlMs)).toList();
        return new HeartbeatReply(hb.nodeAddress(), ttlMs, grants, nowMs / 1000.0);
    }

    /** A name as the node reported it, when it looks like one (it is shown in reasons and the API). */
    private static String executorName(ExecutorInfo e) {
        if (e == null || e.name() == null) return null;
        String n = e.name().strip().toLowerCase(java.util.Locale.ROOT);
        return n.matches("[a-z0-9][a-z0-9_-]{0,31}") ? n : null;
    }

    /**
     * A node holding programs now reports an executor that does not isolate (it restarted with
     * {@code process}): its leases are no longer renewed, so the programs stop there and move.
     */
    private void revokeUnisolated(String node, String executor, long nowMs) {
        for (Lease l : book.all()) {
            if (!l.nodeAddress().equals(node) || l.revoking()) continue;
            String why = "node " + node + " runs " + (executor == null ? "an unknown executor" : executor)
                    + ", which does not isolate programs (require-isolation is on)";
            book.revoke(l.itemHash());
            store.addHistory(l.itemHash(), nowMs, node, null, l.epoch(), "revoking: " + why);
            lastLoss.put(l.itemHash(), new String[] {node, why});
            log.warn("program {}: {}; revoking its lease", l.itemHash(), why);
        }
    }

    private void checkCrashLoop(String node, ExecutionReport e, long nowMs) {
        var lease = book.get(e.itemHash());
        if (lease.isEmpty() || !lease.get().nodeAddress().equals(node) || lease.get().epoch() != e.epoch()
                || lease.get().revoking()) {
            return;
        }
        if (!"FAILED".equalsIgnoreCase(e.state()) && e.restarts() < CRASH_RESTARTS) return;
        String why = "crash loop on " + node + " (" + e.restarts() + " restarts"
                + (e.lastError() == null ? "" : ", last error: " + e.lastError()) + ")";
        book.revoke(e.itemHash());
        store.program(e.itemHash()).ifPresent(p -> {
            Set<String> avoid = new LinkedHashSet<>(readAvoid(p.avoid()));
            avoid.add(node);
            store.setAvoid(p.itemHash(), Json.write(avoid));
        });
        store.addHistory(e.itemHash(), nowMs, node, null, e.epoch(), "revoking: " + why);
        lastLoss.put(e.itemHash(), new String[] {node, why});
        log.warn("program {}: {}; revoking its lease", e.itemHash(), why);
    }

    /** A draining node hands a program back: it is deallocated and placed elsewhere at once. */
    public ReleaseReply release(Release r) {
        requireLeader();
        String node = r.nodeAddress().toLowerCase();
        lock.lock();
        try {
            requireLeader();
            draining.add(node);
            var released = book.release(r.itemHash(), node, r.epoch());
            if (released.isEmpty()) return new ReleaseReply(r.itemHash(), false);
            String why = "released by " + node + (r.reason() == null ? "" : ": " + r.reason());
            store.deallocate(r.itemHash(), wallClock.millis(), why);
            lastLoss.put(r.itemHash(), new String[] {node, why});
            log.info("program {} {}", r.itemHash(), why);
            placeLocked();
            return new ReleaseReply(r.itemHash(), true);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- programs from the CCN

    /** Registers a persistent program (idempotent); placed by the next tick. */
    public boolean addProgram(ProgramRow program) {
        boolean inserted = store.insertProgram(program);
        if (inserted) log.info("persistent program {} registered ({} vCPU, {} MiB)", program.itemHash(),
                program.vcpus(), program.memoryMib());
        return inserted;
    }

    /** Brings back a program removed for a lost balance, when the CCN says it is processed again. */
    public boolean reactivate(String itemHash) {
        return store.reactivate(itemHash, "removing", wallClock.millis());
    }

    /** Removes a program (unpersisted, forgotten, removed for balance): its allocation ends at once. */
    public boolean removeProgram(String itemHash, String reason) {
        lock.lock();
        try {
            book.remove(itemHash);
            unschedulable.remove(itemHash);
            boolean removed = store.removeProgram(itemHash, reason, wallClock.millis());
            if (removed) log.info("program {} removed: {}", itemHash, reason);
            return removed;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- periodic work

    /** Lets lapsed leases go and places pending programs. Called every few hundred ms by the node. */
    public void tick() {
        if (!leading) return;
        lock.lock();
        try {
            if (!leading || !leaderValid.getAsBoolean()) return;
            long now = ticker.nanos();
            long nowMs = wallClock.millis();
            for (Lease l : book.lapsed(now)) {
                String why = l.revoking() ? lastLoss.getOrDefault(l.itemHash(), new String[] {l.nodeAddress(), "revoked"})[1]
                        : "node " + l.nodeAddress() + " stopped renewing its lease (no heartbeat answered for "
                        + (policy.fenceNanos() / 1_000_000) + " ms)";
                store.deallocate(l.itemHash(), nowMs, "lease lapsed: " + why);
                lastLoss.put(l.itemHash(), new String[] {l.nodeAddress(), why});
                log.warn("program {}: lease of {} lapsed (epoch {}): {}", l.itemHash(), l.nodeAddress(), l.epoch(), why);
            }
            placeLocked();
        } finally {
            lock.unlock();
        }
    }

    private void placeLocked() {
        long now = ticker.nanos();
        // Right after a restart or takeover, grants made by the previous leader may still be held:
        // programs that ever ran (epoch > 0) wait until those have lapsed.
        boolean warm = now - leaderSinceNanos > policy.fenceNanos();
        long liveWindow = Math.max(policy.leaseTtl().toNanos(), heartbeatInterval.toNanos() * 3);
        Map<String, NodeRow> rows = new HashMap<>();
        for (NodeRow r : store.nodes()) rows.put(r.address(), r);
        List<NodeCandidate> live = new ArrayList<>();
        for (var e : lastHeartbeat.entrySet()) {
            NodeRow r = rows.get(e.getKey());
            if (r == null || now - e.getValue() > liveWindow || draining.contains(e.getKey())) continue;
            live.add(new NodeCandidate(r.address(), r.nodeHash(), r.url(), r.vcpus(), r.memoryMib(),
                    new HashSet<>(readList(r.runtimes())), r.executor(), r.isolated()));
        }
        Map<String, String> allocations = new HashMap<>();
        for (Lease l : book.all()) allocations.put(l.itemHash(), l.nodeAddress());
        List<ProgramDemand> demands = new ArrayList<>();
        Map<String, ProgramRow> programs = new HashMap<>();
        List<ProgramRow> active = store.activePrograms();
        Set<String> activeHashes = new HashSet<>();
        for (ProgramRow p : active) activeHashes.add(p.itemHash());
        for (String item : List.copyOf(allocations.keySet())) {
            if (!activeHashes.contains(item)) {
                // Removed behind our back (another process wrote the database): stop renewing it.
                book.remove(item);
                allocations.remove(item);
                store.deallocate(item, wallClock.millis(), "program is no longer active");
            }
        }
        for (ProgramRow p : active) {
            boolean allocated = allocations.containsKey(p.itemHash());
            if (!allocated && (!book.assignable(p.itemHash(), now) || (!warm && p.epoch() > 0))) continue;
            programs.put(p.itemHash(), p);
            demands.add(new ProgramDemand(p.itemHash(), p.vcpus(), p.memoryMib(), p.runtime(),
                    requirementsOf(p),
                    new HashSet<>(readAvoid(p.avoid())), requireIsolation));
        }
        if (demands.size() == allocations.size()) return;
        Plan plan = Placement.plan(live, demands, allocations);
        long nowMs = wallClock.millis();
        for (Plan.Assignment a : plan.assignments()) {
            String[] loss = lastLoss.remove(a.itemHash());
            String reason = loss == null ? "scheduled on " + a.nodeAddress()
                    : "moved from " + loss[0] + " to " + a.nodeAddress() + ": " + loss[1];
            long epoch = store.allocate(a.itemHash(), a.nodeAddress(), nowMs, loss == null ? null : loss[0], reason);
            book.assign(a.itemHash(), a.nodeAddress(), epoch, now);
            unschedulable.remove(a.itemHash());
            log.info("program {} allocated to {} with epoch {} ({})", a.itemHash(), a.nodeAddress(), epoch, reason);
        }
        plan.unschedulable().forEach((item, why) -> {
            if (!why.equals(unschedulable.put(item, why))) {
                store.setUnschedulable(item, why);
                log.info("program {} is unschedulable: {}", item, why);
            }
        });
    }

    /** True when a heartbeat from the node arrived within the liveness window (for the read API). */
    public boolean nodeActive(String address, long lastSeenMs) {
        Long seen = lastHeartbeat.get(address.toLowerCase());
        if (seen != null) return ticker.nanos() - seen <= policy.leaseTtl().toNanos();
        // A standby has no heartbeats: judge by the stored wall time.
        return wallClock.millis() - lastSeenMs <= policy.leaseTtl().toMillis();
    }

    private static NodeRequirements requirementsOf(ProgramRow p) {
        if (p.requirements() == null) return NodeRequirements.NONE;
        try {
            return NodeRequirements.from(Json.MAPPER.readTree(p.requirements()));
        } catch (Exception e) {
            return NodeRequirements.NONE;
        }
    }

    static List<String> readList(String json) {
        if (json == null || json.isBlank()) return List.of();
        try {
            return Json.MAPPER.readValue(json, new TypeReference<List<String>>() {});
        } catch (Exception e) {
            return List.of();
        }
    }

    static List<String> readAvoid(String json) {
        return readList(json);
    }
}

package org.aleph4j.scheduler.engine;

import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.Release;
import org.aleph4j.client.scheduler.ReleaseReply;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.Ticker;
import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.lease.LeasePolicy;
import org.aleph4j.scheduler.reconcile.NodeReport;
import org.aleph4j.scheduler.reconcile.Reconciler;
import org.aleph4j.scheduler.reconcile.SchedulingState;
import org.aleph4j.scheduler.reconcile.Snapshot;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Grants leases and places programs: reads a snapshot, asks the {@link Reconciler} what to do, and
 * applies its decisions to the in-memory {@link SchedulingState} and the database. All of it happens
 * under one lock, so a heartbeat's renewal and the tick's decision that a lease lapsed can never
 * interleave. The lease book lives in memory (monotonic times cannot be stored); the database holds
 * allocations and epochs, and a new leader adopts every stored allocation as if granted at takeover.
 */
public final class AllocationEngine {
    private static final Logger log = LoggerFactory.getLogger(AllocationEngine.class);

    private final SchedulerStore store;
    private final LeasePolicy policy;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Reconciler reconciler;
    private final SchedulingState state;
    private final StoreSnapshots snapshots;
    private final StorePlanSink sink;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Long> lastHeartbeat = new ConcurrentHashMap<>();
    private final Set<String> draining = ConcurrentHashMap.newKeySet();
    private final BooleanSupplier leaderValid;
    private volatile boolean leading;

    /**
     * @param leaderValid checked before every grant: false once this process can no longer be sure it
     *                    still holds the leader row (so a frozen ex-leader never renews a lease)
     * @param requireIsolation persistent programs go only to nodes whose executor isolates them
     */
    public AllocationEngine(SchedulerStore store, LeasePolicy policy, Duration heartbeatInterval, Ticker ticker,
                            InstantSource wallClock, BooleanSupplier leaderValid, boolean requireIsolation) {
        this.leaderValid = leaderValid;
        this.store = store;
        this.policy = policy;
        this.ticker = ticker;
        this.wallClock = wallClock;
        this.reconciler = new Reconciler(policy, heartbeatInterval, requireIsolation);
        this.state = new SchedulingState(policy);
        this.snapshots = new StoreSnapshots(store);
        this.sink = new StorePlanSink(store, wallClock);
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
            lastHeartbeat.clear();
            state.lead(store.allocations().stream()
                    .map(a -> new Lease(a.itemHash(), a.nodeAddress(), a.epoch(), now, false)).toList(), now);
            leading = true;
            log.info("leading: adopted {} allocations; no program moves before {} ms", state.leases().size(),
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
            state.clearLeases();
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

    /**
     * Registers a verified heartbeat and answers with the node's allocations, renewing their leases
     * (after revoking those of crash-looping programs, and all of them if the node stopped isolating
     * under require-isolation).
     */
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
            var report = new NodeReport(node, executor, isolated, hb.executions());
            state.apply(reconciler.heartbeat(report, state.leases()), now, sink);
            renewed = state.renew(node, now);
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

    /** A draining node hands a program back: it is deallocated and placed elsewhere at once. */
    public ReleaseReply release(Release r) {
        requireLeader();
        String node = r.nodeAddress().toLowerCase();
        lock.lock();
        try {
            requireLeader();
            draining.add(node);
            String why = "released by " + node + (r.reason() == null ? "" : ": " + r.reason());
            if (state.release(r.itemHash(), node, r.epoch(), why).isEmpty()) return new ReleaseReply(r.itemHash(), false);
            store.deallocate(r.itemHash(), wallClock.millis(), why);
            log.info("program {} {}", r.itemHash(), why);
            long now = ticker.nanos();
            state.apply(reconciler.placement(snapshot(now)), now, sink);
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
        return store.reactivate(itemHash, MessageStatus.REMOVING.value(), wallClock.millis());
    }

    /** Removes a program (unpersisted, forgotten, removed for balance): its allocation ends at once. */
    public boolean removeProgram(String itemHash, String reason) {
        lock.lock();
        try {
            state.remove(itemHash);
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
            state.apply(reconciler.tick(snapshot(now)), now, sink);
        } finally {
            lock.unlock();
        }
    }

    private Snapshot snapshot(long now) {
        return state.snapshot(now, snapshots.nodes(lastHeartbeat, draining), snapshots.activePrograms());
    }

    /** True when a heartbeat from the node arrived within the liveness window (for the read API). */
    public boolean nodeActive(String address, long lastSeenMs) {
        Long seen = lastHeartbeat.get(address.toLowerCase());
        if (seen != null) return ticker.nanos() - seen <= policy.leaseTtl().toNanos();
        // A standby has no heartbeats: judge by the stored wall time.
        return wallClock.millis() - lastSeenMs <= policy.leaseTtl().toMillis();
    }
}

package org.aleph4j.scheduler.engine;

import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.Release;
import org.aleph4j.client.scheduler.ReleaseReply;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.Ticker;
import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.lease.LeasePolicy;
import org.aleph4j.scheduler.reconcile.Decision;
import org.aleph4j.scheduler.reconcile.NodeReport;
import org.aleph4j.scheduler.reconcile.Reconciler;
import org.aleph4j.scheduler.reconcile.SchedulingState;
import org.aleph4j.scheduler.reconcile.Snapshot;
import org.aleph4j.scheduler.reconcile.Snapshot.ProgramState;
import org.aleph4j.scheduler.store.Records.AllocationRow;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Grants leases and places programs. Two locks, so that a renewal never waits on placement or on the
 * database:
 * <ul>
 *   <li>the <b>lease lock</b> guards the in-memory {@link SchedulingState} (the lease book) and is never
 *       held across I/O. A heartbeat takes only this lock: it renews its node's leases in memory and
 *       queues what it has to write ({@link DeferredWrites}). A lapse is decided and applied in one hold
 *       of it, so a lapse and a renewal never interleave, and a lapsed lease is never renewed;</li>
 *   <li>the <b>cycle lock</b> runs one placement cycle at a time (the tick, the placement after a
 *       release, a removal, a takeover): it writes the queued rows, reads its snapshot from the
 *       database, decides under the lease lock, writes the decisions, and installs each new lease under
 *       the lease lock only once its epoch is durable, and only if this scheduler still leads the same
 *       term. It may wait on the database as long as the database makes it wait.</li>
 * </ul>
 * A heartbeat is answered only while this scheduler is sure of its own database lease
 * ({@code leaderValid}, judged on the monotonic clock without reading the database) and only when it
 * names the current incarnation. The lease book lives in memory (monotonic times cannot be stored);
 * the database holds allocations and epochs, and a new leader adopts every stored allocation as if
 * granted at takeover.
 */
public final class AllocationEngine {
    private static final Logger log = LoggerFactory.getLogger(AllocationEngine.class);
    /** Bounds of the heartbeat writes waiting for the placement cycle. */
    static final int MAX_DEFERRED_NODES = 10_000;
    static final int MAX_DEFERRED_DECISIONS = 10_000;
    /** Decisions written per transaction by a placement cycle. */
    static final int WRITE_BATCH = 500;

    private final SchedulerStore store;
    private final LeasePolicy policy;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Reconciler reconciler;
    private final SchedulingState state;
    private final StoreSnapshots snapshots;
    private final StorePlanSink sink;
    private final DeferredWrites deferred;
    /** The newest node row each node reported (what placement reads of nodes this leader heard). */
    private final Map<String, NodeRow> reported = new ConcurrentHashMap<>();
    /** Guards {@link #state}, {@link #term}; never held across I/O. */
    private final ReentrantLock leaseLock = new ReentrantLock();
    /** One placement cycle at a time; may wait on the database; taken before the lease lock, never inside it. */
    private final ReentrantLock cycleLock = new ReentrantLock();
    private final Map<String, Long> lastHeartbeat = new ConcurrentHashMap<>();
    private final Set<String> draining = ConcurrentHashMap.newKeySet();
    /** Programs whose owner asked to move them → the node they leave (read from the database each cycle). */
    private final Map<String, String> migrating = new ConcurrentHashMap<>();
    private final BooleanSupplier leaderValid;
    private final Supplier<String> leaderUrl;
    private final String schedulerAddress;
    private volatile boolean leading;
    private volatile long incarnation;
    /** An incarnation won but not adopted yet (the next cycle reads the stored allocations); 0: none. */
    private volatile long pendingTakeover;
    /** Bumped whenever leadership starts or ends: a cycle installs leases only in the term it decided them in. */
    private long term;

    /**
     * @param leaderValid      checked before every grant: false once this process can no longer be sure it
     *                         still holds the leader row (so a frozen ex-leader never renews a lease); must not
     *                         read the database
     * @param leaderUrl        the leader's URL as last known, for the refusals of a standby; must not read the database
     * @param schedulerAddress the address of the key that signs this scheduler's answers
     * @param requireIsolation persistent programs go only to nodes whose executor isolates them
     */
    public AllocationEngine(SchedulerStore store, LeasePolicy policy, Duration heartbeatInterval, Ticker ticker,
                            InstantSource wallClock, BooleanSupplier leaderValid, Supplier<String> leaderUrl,
                            String schedulerAddress, boolean requireIsolation) {
        this.leaderValid = leaderValid;
        this.leaderUrl = leaderUrl;
        this.schedulerAddress = schedulerAddress.toLowerCase(java.util.Locale.ROOT);
        this.store = store;
        this.policy = policy;
        this.ticker = ticker;
        this.wallClock = wallClock;
        this.reconciler = new Reconciler(policy, heartbeatInterval, requireIsolation);
        this.state = new SchedulingState(policy);
        this.snapshots = new StoreSnapshots(store);
        this.sink = new StorePlanSink(store, wallClock);
        // an unchanged node row is written at most every half lease: a standby's view of "active" stays right
        this.deferred = new DeferredWrites(MAX_DEFERRED_NODES, MAX_DEFERRED_DECISIONS, policy.leaseTtl().toMillis() / 2);
    }

    public LeasePolicy policy() {
        return policy;
    }

    public boolean leading() {
        return leading;
    }

    /** The incarnation this scheduler leads (or last led; 0 before it ever led). */
    public long incarnation() {
        return incarnation;
    }

    /**
     * Starts leading as {@code incarnation}: the next cycle adopts every stored allocation as granted
     * then, because the previous leader (or this process before a restart) may have renewed it a moment
     * ago. Until then heartbeats are refused. Reads no database (the election's thread calls it).
     */
    public void becomeLeader(long incarnation) {
        leaseLock.lock();
        try {
            leading = false;
            term++;
            state.clearLeases();
            pendingTakeover = incarnation;
        } finally {
            leaseLock.unlock();
        }
    }

    /** Stops granting at once (leadership lost or shutting down). Reads no database. */
    public void stopLeading() {
        leaseLock.lock();
        try {
            if (leading) log.info("no longer leading (incarnation {})", incarnation);
            leading = false;
            pendingTakeover = 0;
            term++;
            state.clearLeases();
        } finally {
            leaseLock.unlock();
        }
    }

    /** Under the cycle lock: adopts the stored allocations of a pending takeover. */
    private void adoptIfPending() {
        long won = pendingTakeover;
        if (won == 0) return;
        List<AllocationRow> stored = store.allocations();
        leaseLock.lock();
        try {
            if (pendingTakeover != won) return; // lost or re-won meanwhile
            long now = ticker.nanos();
            lastHeartbeat.clear();
            state.lead(stored.stream().map(a -> new Lease(a.itemHash(), a.nodeAddress(), a.epoch(), now, false)).toList(), now);
            term++;
            incarnation = won;
            pendingTakeover = 0;
            leading = true;
            log.info("leading as incarnation {}: adopted {} allocations; no program that ran moves before {} ms", won,
                    state.leases().size(), policy.fenceNanos() / 1_000_000);
        } finally {
            leaseLock.unlock();
        }
    }

    private void requireLeader() {
        if (!leading || !leaderValid.getAsBoolean()) {
            String url = leaderUrl.get();
            throw new SchedulerError(503, SchedulerError.NOT_LEADER, "this scheduler is a standby",
                    url == null ? Map.of() : Map.of("leader_url", url));
        }
    }

    /** A heartbeat must name the current incarnation: one recorded in an earlier leadership renews nothing. */
    private void requireIncarnation(Heartbeat hb) {
        long current = incarnation;
        if (hb.incarnation() == current) return;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("scheduler_address", schedulerAddress);
        details.put("incarnation", current);
        details.put("nonce", hb.nonce());
        details.put("node_address", hb.nodeAddress());
        throw new SchedulerError(409, SchedulerError.STALE_INCARNATION, "the heartbeat names scheduler incarnation "
                + hb.incarnation() + "; this scheduler leads incarnation " + current + ": send it again naming " + current,
                details);
    }

    // ---------------------------------------------------------------- CRN protocol

    /**
     * Registers a verified heartbeat and answers with the node's allocations, renewing their leases
     * (after revoking those of crash-looping programs, and all of them if the node stopped isolating
     * under require-isolation). Touches memory only: what it has to write is queued for the cycle.
     */
    public HeartbeatReply heartbeat(Heartbeat hb) {
        requireLeader();
        requireIncarnation(hb);
        String node = hb.nodeAddress().toLowerCase();
        long nowMs = wallClock.millis();
        NodeRow row = NodeRows.of(hb, nowMs);
        List<Lease> renewed;
        List<Decision> decisions;
        long granting;
        leaseLock.lock();
        try {
            requireLeader();
            requireIncarnation(hb);
            long now = ticker.nanos();
            if (lastHeartbeat.put(node, now) == null) log.info("node {} ({}) is active", node, hb.publicUrl());
            draining.remove(node);
            var report = new NodeReport(node, row.executor(), row.isolated(), hb.executions());
            decisions = reconciler.heartbeat(report, state.leasesOf(node)); // only its own leases matter
            state.applyInMemory(decisions, now);
            renewed = state.renew(node, now);
            granting = incarnation;
        } finally {
            leaseLock.unlock();
        }
        reported.put(node, row);
        deferred.node(row);
        decisions.forEach(deferred::decision);
        deferred.grants(node, renewed.stream().map(Lease::itemHash).toList(), nowMs);
        long ttlMs = policy.leaseTtl().toMillis();
        List<LeaseGrant> grants = renewed.stream()
                .map(l -> new LeaseGrant(l.itemHash(), l.epoch(), ttlMs, node.equals(migrating.get(l.itemHash())))).toList();
        return new HeartbeatReply(hb.nodeAddress(), ttlMs, grants, nowMs / 1000.0, schedulerAddress, granting, hb.nonce());
    }

    /**
     * A draining node hands a program back: the lease ends at once in memory, then the allocation is
     * dropped and placement runs, so the program goes elsewhere at once.
     */
    public ReleaseReply release(Release r) {
        requireLeader();
        String node = r.nodeAddress().toLowerCase();
        String why = "released by " + node + (r.reason() == null ? "" : ": " + r.reason());
        leaseLock.lock();
        try {
            requireLeader();
            draining.add(node);
            if (state.release(r.itemHash(), node, r.epoch(), why).isEmpty()) return new ReleaseReply(r.itemHash(), false);
            migrating.remove(r.itemHash(), node);
        } finally {
            leaseLock.unlock();
        }
        log.info("program {} {}", r.itemHash(), why);
        cycleLock.lock();
        try {
            // under its epoch only: a placement that already happened must not be undone
            store.deallocate(r.itemHash(), r.epoch(), wallClock.millis(), why);
            if (leading && leaderValid.getAsBoolean()) cycle(false);
        } finally {
            cycleLock.unlock();
        }
        return new ReleaseReply(r.itemHash(), true);
    }

    /**
     * Throws {@link SchedulerError#FENCED} unless {@code node} holds the lease of {@code itemHash} under
     * {@code epoch} right now (granted, not revoked, not lapsed), on this leader. Memory only.
     */
    public void requireHolder(String itemHash, String node, long epoch) {
        requireLeader();
        leaseLock.lock();
        try {
            requireLeader();
            var lease = state.lease(itemHash);
            if (lease.isPresent() && lease.get().nodeAddress().equalsIgnoreCase(node) && lease.get().epoch() == epoch
                    && !lease.get().revoking() && !policy.lapsed(lease.get().lastGrantNanos(), ticker.nanos())) {
                return;
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("item_hash", itemHash);
            details.put("epoch", epoch);
            lease.ifPresent(l -> details.put("current_epoch", l.epoch()));
            throw new SchedulerError(409, SchedulerError.FENCED, "node " + node + " does not hold the lease of " + itemHash
                    + " under epoch " + epoch, details);
        } finally {
            leaseLock.unlock();
        }
    }

    /**
     * Records a migration its owner asked for (validated by the caller): the holder is told to drain
     * the program at its next heartbeat; its release places it again away from {@code from}.
     */
    public void migrate(String itemHash, String from, String targetAddress) {
        requireLeader();
        if (!store.setMigration(itemHash, targetAddress == null ? "" : targetAddress, from, wallClock.millis())) {
            throw new SchedulerError(409, SchedulerError.CONFLICT, "program " + itemHash + " is not active", Map.of());
        }
        migrating.put(itemHash, from.toLowerCase());
        log.info("program {}: migration from {} to {} asked by its owner", itemHash, from,
                targetAddress == null ? "any other node" : targetAddress);
    }

    /** The store this engine writes (for the services that share its database). */
    public SchedulerStore store() {
        return store;
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
        removeLease(itemHash); // renewals stop now, even if the database is slow
        cycleLock.lock();
        try {
            removeLease(itemHash); // and a placement cycle that was running cannot have granted it meanwhile
            boolean removed = store.removeProgram(itemHash, reason, wallClock.millis());
            if (removed) log.info("program {} removed: {}", itemHash, reason);
            return removed;
        } finally {
            cycleLock.unlock();
        }
    }

    private void removeLease(String itemHash) {
        leaseLock.lock();
        try {
            state.remove(itemHash);
        } finally {
            leaseLock.unlock();
        }
    }

    // ---------------------------------------------------------------- periodic work

    /**
     * One placement cycle: adopts the allocations of a takeover, writes what heartbeats queued, lets
     * lapsed leases go and places pending programs. Called every 100 ms by the node; waits on the
     * database (renewals do not wait on it).
     */
    public void tick() {
        cycleLock.lock();
        try {
            adoptIfPending();
            if (!leading || !leaderValid.getAsBoolean()) return;
            cycle(true);
        } finally {
            cycleLock.unlock();
        }
    }

    /** Writes what heartbeats queued (best effort, on shutdown: gives up when a cycle holds on for a second). */
    public void flushDeferred() {
        try {
            if (!cycleLock.tryLock(1, java.util.concurrent.TimeUnit.SECONDS)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            deferred.flush(store, sink);
        } finally {
            cycleLock.unlock();
        }
    }

    /** Number of heartbeat writes waiting for the next cycle. */
    public int deferredWrites() {
        return deferred.pending();
    }

    /** Under the cycle lock: snapshot (I/O), decide (lease lock), write, install new leases (lease lock). */
    private void cycle(boolean lapses) {
        deferred.flush(store, sink);
        List<ProgramState> programs = snapshots.activePrograms();
        Map<String, String> asked = snapshots.migrations();
        migrating.keySet().retainAll(asked.keySet());
        migrating.putAll(asked);
        List<Decision> decisions;
        long decidedIn;
        leaseLock.lock();
        try {
            if (!leading || !leaderValid.getAsBoolean()) return;
            decidedIn = term;
            long now = ticker.nanos();
            if (lapses && state.quiet(now, programs)) return; // nothing lapsed, nothing pending: nothing to decide
            Snapshot snapshot = state.snapshot(now, snapshots.nodes(reported, lastHeartbeat, draining), programs);
            decisions = lapses ? reconciler.tick(snapshot) : reconciler.placement(snapshot);
            state.applyInMemory(decisions, now);
        } finally {
            leaseLock.unlock();
        }
        // one transaction per WRITE_BATCH decisions (not one each: 5,000 moves would be 5,000 syncs), so the
        // leader row, which shares SQLite's one writer, gets its turn between them; each new lease is
        // installed once its transaction committed
        for (int from = 0; from < decisions.size(); from += WRITE_BATCH) {
            List<Decision> chunk = decisions.subList(from, Math.min(decisions.size(), from + WRITE_BATCH));
            List<Map.Entry<Decision.Place, Long>> placed = new java.util.ArrayList<>();
            store.batch(() -> {
                for (Decision d : chunk) {
                    long epoch = SchedulingState.write(d, sink);
                    if (d instanceof Decision.Place p && epoch > 0) placed.add(Map.entry(p, epoch));
                }
            });
            if (!placed.isEmpty()) install(placed, decidedIn);
        }
    }

    /** Grants a placement whose epoch is durable, if this scheduler still leads the term it was decided in. */
    private void install(List<Map.Entry<Decision.Place, Long>> placed, long decidedIn) {
        leaseLock.lock();
        try {
            if (term != decidedIn || !leading || !leaderValid.getAsBoolean()) {
                log.info("{} programs allocated (the first to {} with epoch {}) but not granted: leadership changed meanwhile",
                        placed.size(), placed.get(0).getKey().nodeAddress(), placed.get(0).getValue());
                return;
            }
            long now = ticker.nanos();
            for (var e : placed) {
                Decision.Place p = e.getKey();
                if (!state.install(p, e.getValue(), now)) {
                    log.warn("program {} allocated to {} with epoch {} but not granted: it changed meanwhile", p.itemHash(),
                            p.nodeAddress(), e.getValue());
                }
            }
        } finally {
            leaseLock.unlock();
        }
    }

    /** True when a heartbeat from the node arrived within the liveness window (for the read API). */
    public boolean nodeActive(String address, long lastSeenMs) {
        Long seen = lastHeartbeat.get(address.toLowerCase());
        if (seen != null) return ticker.nanos() - seen <= policy.leaseTtl().toNanos();
        // A standby has no heartbeats: judge by the stored wall time.
        return wallClock.millis() - lastSeenMs <= policy.leaseTtl().toMillis();
    }
}

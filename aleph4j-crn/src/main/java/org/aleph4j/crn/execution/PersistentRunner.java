package org.aleph4j.crn.execution;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persistent executions, one per program this node holds a lease for: started with the lease as
 * the watchdog's deadline, renewed, replaced by a newer epoch, restarted with back-off after a
 * crash while the lease holds, stopped when the lease keeper says so. The {@link PersistentHost}
 * of the lease keeper, which has already applied the lease rules ({@code LeaseDecisions}: stale
 * epochs never get here).
 */
final class PersistentRunner implements PersistentHost {
    private static final Logger log = LoggerFactory.getLogger(PersistentRunner.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private final ExecutionLifecycle life;
    private final ScheduledExecutorService timer;
    final Map<String, Execution> executions = new ConcurrentHashMap<>();
    private final Object persistentLock = new Object();
    /** Programs being handed over: stopped, their final snapshots under way, reported DRAINING until released. */
    private final Map<String, Long> draining = new ConcurrentHashMap<>();
    /** Set when the node drains: programs not held yet are not started. */
    volatile boolean refuseNew;

    PersistentRunner(ExecutionLifecycle life, ScheduledExecutorService timer) {
        this.life = life;
        this.timer = timer;
        life.onPersistentCrash(this::scheduleRestart);
    }

    @Override
    public void ensureRunning(String itemHash, long epoch, Duration fence) {
        if (life.closed) return;
        Execution start;
        Execution old = null;
        synchronized (persistentLock) {
            Execution current = executions.get(itemHash);
            Long handingOver = draining.get(itemHash);
            if (handingOver != null && handingOver == epoch) return; // the lease holds while it is handed over
            if (current != null && current.epoch == epoch && current.wanted) {
                renewLease(itemHash, epoch, fence);
                return;
            }
            if (refuseNew && current == null) {
                log.info("not starting {} (epoch {}): this node is draining", itemHash, epoch);
                return;
            }
            old = current;
            start = life.newExecution(itemHash, true, epoch);
            start.wanted = true;
            start.fenceDeadlineNanos = life.ticker.nanos() + fence.toNanos();
            executions.put(itemHash, start);
        }
        Execution previous = old;
        Thread.ofVirtual().name("persistent-" + itemHash.substring(0, 8)).start(() -> {
            if (previous != null) life.stopExecution(previous, "superseded by epoch " + epoch);
            startPersistent(start);
        });
    }

    void startPersistent(Execution e) {
        if (!e.wanted || life.closed) return;
        life.lockBounded(e);
        try {
            if (!e.wanted || e.running()) return;
            long remaining = e.fenceDeadlineNanos - life.ticker.nanos();
            if (remaining <= 0) {
                e.wanted = false;
                life.transition(e, ExecutionState.STOPPED, "lease expired before the program could start");
                return;
            }
            ProgramInfo program = life.preparer.program(e.itemHash);
            life.start(e, program, () -> e.fenceDeadlineNanos);
            // the fence may have been renewed while we were starting
            e.renewLease(e.fenceDeadlineNanos);
        } catch (CrnException ex) {
            e.lastError = ex.getMessage();
            // the lease ran out while preparing: a fence, not a failure of the program or of this node
            ExecutionState end = life.ticker.nanos() >= e.fenceDeadlineNanos ? ExecutionState.STOPPED : ExecutionState.FAILED;
            if (e.state != end) life.transition(e, end, ex.getMessage());
            if (e.wanted && !life.closed && life.ticker.nanos() < e.fenceDeadlineNanos) scheduleRestart(e);
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public void renewLease(String itemHash, long epoch, Duration remaining) {
        Execution e = executions.get(itemHash);
        if (e == null || e.epoch != epoch || !e.wanted) return;
        e.fenceDeadlineNanos = life.ticker.nanos() + remaining.toNanos();
        e.renewLease(e.fenceDeadlineNanos);
    }

    @Override
    public void stop(String itemHash, String reason) {
        Execution e;
        synchronized (persistentLock) {
            e = executions.remove(itemHash);
            draining.remove(itemHash);
        }
        if (e == null) return;
        log.info("stopping persistent program {} (epoch {}): {}", itemHash, e.epoch, reason);
        life.stopExecution(e, reason);
        life.deleteWorkDir(e);
        // the last writes since the periodic snapshot, off the caller's thread (the lease keeper's): accepted
        // when this node still is the volumes' user (an unpersisted program's last holder), refused otherwise
        long epoch = e.epoch;
        Thread.ofVirtual().name("final-snapshot-" + itemHash.substring(0, 8)).start(() -> {
            try {
                life.volumes.finalSnapshot(itemHash, epoch);
            } finally {
                life.volumes.forget(itemHash, epoch);
            }
        });
    }

    /**
     * Stops {@code itemHash} for good (no restart), then has its volumes' final snapshots taken under
     * the lease; until {@link #stop} it is reported DRAINING, so the scheduler does not place it again
     * before the hand-over is complete.
     */
    @Override
    public boolean drain(String itemHash, long epoch) {
        Execution e;
        synchronized (persistentLock) {
            e = executions.get(itemHash);
            if (e == null || e.epoch != epoch) return false;
            draining.put(itemHash, epoch);
        }
        log.info("handing over persistent program {} (epoch {}): stopping it, then its final snapshots", itemHash, epoch);
        life.stopExecution(e, "handed over");
        boolean saved = life.volumes.finalSnapshot(itemHash, epoch);
        if (!saved) log.warn("the final snapshots of {} (epoch {}) were not all accepted", itemHash, epoch);
        return saved;
    }

    @Override
    public List<PersistentStatus> persistentExecutions() {
        List<PersistentStatus> out = new ArrayList<>();
        for (Execution e : executions.values()) {
            Long handingOver = draining.get(e.itemHash);
            String state = handingOver != null && handingOver == e.epoch ? "DRAINING" : e.state.name();
            out.add(new PersistentStatus(e.itemHash, e.epoch, state, e.restarts, e.lastError));
        }
        return out;
    }

    private void scheduleRestart(Execution e) {
        // a run that lasted a while resets the back-off: it was a crash, not a crash loop
        if (e.runningSinceNanos != 0 && life.ticker.nanos() - e.runningSinceNanos > Duration.ofSeconds(60).toNanos()) e.restarts = 0;
        long delay = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(10, e.restarts));
        e.restarts++;
        log.info("restarting persistent program {} in {} ms (restart #{})", e.itemHash, delay, e.restarts);
        timer.schedule(() -> Thread.ofVirtual().start(() -> startPersistent(e)), delay, TimeUnit.MILLISECONDS);
    }

    /** The persistent execution of {@code itemHash} if this node runs it under a lease. */
    public Optional<Execution> persistentRunning(String itemHash) {
        Execution e = executions.get(itemHash);
        // a copy whose lease ran out gets no request, even in the moments before its watchdog kills it
        return e != null && e.running() && life.ticker.nanos() < e.fenceDeadlineNanos ? Optional.of(e) : Optional.empty();
    }

    /** Whether this node holds (or is starting) a persistent execution of {@code itemHash}. */
    public boolean holdsPersistent(String itemHash) {
        Execution e = executions.get(itemHash);
        return e != null && e.wanted;
    }
}

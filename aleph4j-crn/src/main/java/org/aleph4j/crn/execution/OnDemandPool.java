package org.aleph4j.crn.execution;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-demand executions, one per program: a cold start on the first request (concurrent first
 * requests share it, and its failure), admission within the node's capacity, and the idle stop.
 */
final class OnDemandPool {
    private static final Logger log = LoggerFactory.getLogger(OnDemandPool.class);
    private final ExecutionLifecycle life;
    /** Every execution of the node, persistent ones included: admission counts them all. */
    private final Supplier<Collection<Execution>> everyExecution;
    final Map<String, Execution> executions = new ConcurrentHashMap<>();
    private final Object admission = new Object();

    OnDemandPool(ExecutionLifecycle life, Supplier<Collection<Execution>> everyExecution) {
        this.life = life;
        this.everyExecution = everyExecution;
    }

    Optional<Execution> get(String itemHash) {
        return Optional.ofNullable(executions.get(itemHash));
    }

    /**
     * A running on-demand execution of {@code program}, cold-starting it when needed; the caller
     * must call {@link #release} when its request is done. Concurrent callers share one start.
     */
    public Execution acquire(ProgramInfo program) {
        if (life.closed) throw new CrnException(503, "Server is draining, try another node");
        Execution e = executions.computeIfAbsent(program.itemHash(), h -> life.newExecution(h, false, -1));
        // fast path: announce the request first, then look at the state (the reaper does the reverse)
        e.inFlight.incrementAndGet();
        if (e.running()) {
            e.lastActivityNanos = life.ticker.nanos();
            return e;
        }
        int seenGeneration = e.generation;
        try {
            life.lockBounded(e);
        } catch (RuntimeException ex) {
            e.inFlight.decrementAndGet();
            throw ex;
        }
        try {
            if (e.running()) {
                e.lastActivityNanos = life.ticker.nanos();
                return e;
            }
            // a start that failed while we waited for it is our answer too: one start per burst
            if (e.generation != seenGeneration && e.state == ExecutionState.FAILED && e.lastFailure != null) {
                throw e.lastFailure;
            }
            admit(e, program);
            life.start(e, program, null);
            e.lastActivityNanos = life.ticker.nanos();
            return e;
        } catch (RuntimeException ex) {
            e.inFlight.decrementAndGet();
            throw ex;
        } finally {
            e.lock.unlock();
        }
    }

    /**
     * Refuses an on-demand start that would take the node past its capacity: the vCPUs and memory
     * of every execution that runs or is starting, persistent ones included, plus this one.
     */
    private void admit(Execution starting, ProgramInfo program) {
        synchronized (admission) {
            admitLocked(starting, program);
            // reserved at once: a concurrent cold start of another program counts this one
            starting.program = program;
            life.transition(starting, ExecutionState.PREPARING, null);
        }
    }

    private void admitLocked(Execution starting, ProgramInfo program) {
        var want = program.content().resources();
        long vcpus = want.vcpus();
        long memory = want.memory();
        for (Execution other : everyExecution.get()) {
            if (other == starting || other.program == null) continue;
            ExecutionState s = other.state;
            if (s != ExecutionState.RUNNING && s != ExecutionState.STARTING && s != ExecutionState.PREPARING) continue;
            vcpus += other.program.content().resources().vcpus();
            memory += other.program.content().resources().memory();
        }
        if (vcpus > life.settings.vcpus() || memory > life.settings.memoryMiB()) {
            throw new CrnException(503, "this node is at capacity: starting " + program.itemHash() + " would use " + vcpus
                    + " of " + life.settings.vcpus() + " vCPUs and " + memory + " of " + life.settings.memoryMiB() + " MiB; try another node",
                    Map.of("item_hash", program.itemHash(), "vcpus", vcpus, "memory_mib", memory,
                            "capacity_vcpus", life.settings.vcpus(), "capacity_memory_mib", life.settings.memoryMiB()));
        }
    }

    public void release(Execution e) {
        e.lastActivityNanos = life.ticker.nanos();
        e.inFlight.decrementAndGet();
    }

    /** Called by the gateway when the program did not answer: notes a crash so the next request restarts it. */
    public void reportUnreachable(Execution e, String why) {
        WatchedProcess p = e.process;
        if (p == null) return;
        // a crashed program's watchdog exits a few ms after it: wait for that, bounded, so the next request restarts it
        try {
            if (p.watchdog().waitFor(2, TimeUnit.SECONDS)) life.onExit(e, p);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        log.info("program {} unreachable: {}", e.itemHash, why);
    }

    void reapIdle() {
        try {
            long now = life.ticker.nanos();
            for (Execution e : executions.values()) {
                if (e.state != ExecutionState.RUNNING || e.inFlight.get() > 0) continue;
                if (now - e.lastActivityNanos < life.settings.idleTimeout().toNanos()) continue;
                if (!e.lock.tryLock()) continue;
                try {
                    if (e.state != ExecutionState.RUNNING) continue;
                    e.state = ExecutionState.STOPPING; // publish first, then re-check requests (see acquire)
                    if (e.inFlight.get() > 0 || life.ticker.nanos() - e.lastActivityNanos < life.settings.idleTimeout().toNanos()) {
                        e.state = ExecutionState.RUNNING;
                        continue;
                    }
                    log.info("stopping idle program {} after {} s without requests", e.itemHash, life.settings.idleTimeout().toSeconds());
                    life.stopLocked(e, "idle for " + life.settings.idleTimeout().toSeconds() + " s");
                } finally {
                    e.lock.unlock();
                }
            }
        } catch (RuntimeException ex) {
            log.warn("idle reaper: {}", ex.toString());
        }
    }
}

package org.aleph4j.crn.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.crn.logs.ProgramLogs;
import org.aleph4j.crn.prepare.PreparedProgram;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.aleph4j.message.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every execution of the node, for the gateway, the node API and the CCN watcher: on-demand ones
 * ({@link OnDemandPool}), persistent ones under leases ({@link PersistentRunner}, the lease
 * keeper's {@link PersistentHost}), one {@link ExecutionLifecycle} for both, and what concerns
 * all of them: code updates, forgets, leftovers of a previous run and shutdown.
 */
public final class ExecutionSupervisor implements PersistentHost, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExecutionSupervisor.class);

    /**
     * Timeouts, the idle rule, and what the node admits: on-demand starts beyond {@code vcpus} /
     * {@code memoryMiB} (summed over running executions) are refused; each execution's /data and
     * /tmp together hold at most {@code workDirMiB}.
     */
    public record Settings(Duration idleTimeout, Duration prepareTimeout, Duration startTimeout, int vcpus, long memoryMiB,
                           int workDirMiB) {
        /** Unbounded admission and the default work directory size (tests, tools). */
        public Settings(Duration idleTimeout, Duration prepareTimeout, Duration startTimeout) {
            this(idleTimeout, prepareTimeout, startTimeout, Integer.MAX_VALUE, Long.MAX_VALUE, org.aleph4j.crn.CrnConfig.Guards.DEFAULT_WORK_DIR_MIB);
        }
    }

    private final ExecutionLifecycle life;
    private final OnDemandPool onDemand;
    private final PersistentRunner persistent;
    private final ScheduledExecutorService timer;

    public ExecutionSupervisor(Settings settings, Preparer preparer, Executor executor, ProgramLogs logs,
                               Path dataDir, InstantSource clock, Ticker ticker) {
        this(settings, preparer, executor, logs, dataDir, clock, ticker, ExecutionVolumes.NONE);
    }

    /** With the node's volumes ({@link ExecutionVolumes#NONE}: a node that mounts none). */
    public ExecutionSupervisor(Settings settings, Preparer preparer, Executor executor, ProgramLogs logs,
                               Path dataDir, InstantSource clock, Ticker ticker, ExecutionVolumes volumes) {
        this.life = new ExecutionLifecycle(settings, preparer, executor, logs, dataDir, clock, ticker, volumes);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "crn-supervisor-timer");
            t.setDaemon(true);
            return t;
        });
        this.onDemand = new OnDemandPool(life, this::all);
        this.persistent = new PersistentRunner(life, timer);
        long period = Math.max(100, Math.min(settings.idleTimeout().toMillis() / 4, 5000));
        timer.scheduleWithFixedDelay(onDemand::reapIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** Gives every execution started from now on its guest API (none by default: no socket, the variables still set). */
    public void useGuestApis(org.aleph4j.crn.guest.GuestApis guest) {
        life.guest = guest;
    }

    /**
     * Starts on-demand ASGI programs in pre-warmed sandboxes from now on ({@code slots} of them kept
     * ready); only with the sandbox executor, after {@link #killLeftovers} (which would take the slots
     * for a previous run's). Null when the pool is off.
     */
    public WarmPool startWarmPool(Path python, int slots) {
        if (slots <= 0 || !(life.executor instanceof SandboxExecutor sandbox)) return null;
        WarmPool pool = new WarmPool(sandbox, python, slots, life.executionsDir, life.runDir, life.settings.workDirMiB());
        life.warm = pool;
        return pool;
    }

    /** Kills programs a previous run of this node left behind and removes what they held; returns how many. */
    public int killLeftovers() {
        return Leftovers.clean(life.runDir, life.executionsDir, life.executor);
    }

    /**
     * A running on-demand execution of {@code program}, cold-starting it when needed; the caller
     * must call {@link #release} when its request is done. Concurrent callers share one start.
     */
    public Execution acquire(ProgramInfo program) {
        return onDemand.acquire(program);
    }

    public void release(Execution e) {
        onDemand.release(e);
    }

    /** Called by the gateway when the program did not answer: notes a crash so the next request restarts it. */
    public void reportUnreachable(Execution e, String why) {
        onDemand.reportUnreachable(e, why);
    }

    /** The persistent execution of {@code itemHash} if this node runs it under a lease. */
    public Optional<Execution> persistentRunning(String itemHash) {
        return persistent.persistentRunning(itemHash);
    }

    /** Whether this node holds (or is starting) a persistent execution of {@code itemHash}. */
    public boolean holdsPersistent(String itemHash) {
        return persistent.holdsPersistent(itemHash);
    }

    @Override
    public void ensureRunning(String itemHash, long epoch, Duration fence) {
        persistent.ensureRunning(itemHash, epoch, fence);
    }

    @Override
    public void renewLease(String itemHash, long epoch, Duration remaining) {
        persistent.renewLease(itemHash, epoch, remaining);
    }

    @Override
    public void stop(String itemHash, String reason) {
        persistent.stop(itemHash, reason);
    }

    @Override
    public boolean drain(String itemHash, long epoch) {
        return persistent.drain(itemHash, epoch);
    }

    @Override
    public void refuseNewPrograms() {
        persistent.refuseNew = true;
    }

    @Override
    public List<PersistentStatus> persistentExecutions() {
        return persistent.persistentExecutions();
    }

    /** Stops every execution of {@code itemHash} (forgotten program, code update). Persistent ones stay stopped. */
    public void stopProgram(String itemHash, String reason) {
        Execution e = onDemand.executions.get(itemHash);
        if (e != null) life.stopExecution(e, reason);
        persistent.stop(itemHash, reason);
    }

    /**
     * New code for {@code codeRef}: on-demand executions using it stop (the next request starts the
     * new version); persistent ones restart at once with the same epoch and fence.
     */
    public void codeUpdated(String codeRef) {
        for (Execution e : onDemand.executions.values()) {
            if (usesCode(e, codeRef) && e.state == ExecutionState.RUNNING) {
                log.info("code {} of {} was updated: stopping it, the next request starts the new version", codeRef, e.itemHash);
                life.stopExecution(e, "code updated");
            }
        }
        for (Execution e : persistent.executions.values()) {
            if (usesCode(e, codeRef) && e.wanted) {
                log.info("code {} of persistent {} was updated: restarting it", codeRef, e.itemHash);
                e.lock.lock();
                try {
                    if (e.state != ExecutionState.STOPPED) life.stopLocked(e, "code updated");
                } finally {
                    e.lock.unlock();
                }
                Thread.ofVirtual().start(() -> persistent.startPersistent(e));
            }
        }
    }

    private static boolean usesCode(Execution e, String codeRef) {
        PreparedProgram p = e.prepared;
        return p != null && (codeRef.equals(p.program().content().code().ref()) || codeRef.equals(p.codeRef()));
    }

    /** What gives executions their volumes (for /about). */
    public ExecutionVolumes volumes() {
        return life.volumes;
    }

    /** Every execution (on-demand and persistent), for the node API. */
    public List<Execution> all() {
        List<Execution> list = new ArrayList<>(onDemand.executions.values());
        list.addAll(persistent.executions.values());
        return list;
    }

    public Optional<Execution> onDemand(String itemHash) {
        return onDemand.get(itemHash);
    }

    @Override
    public void close() {
        life.closed = true;
        timer.shutdownNow();
        WarmPool pool = life.warm;
        if (pool != null) pool.close();
        List<Thread> stops = new ArrayList<>();
        for (Execution e : all()) {
            stops.add(Thread.ofVirtual().start(() -> life.stopExecution(e, "node shutting down")));
        }
        for (Thread t : stops) {
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        // last resort for anything a stuck stop left behind
        for (Execution e : all()) {
            WatchedProcess p = e.process;
            if (p != null && p.alive()) p.kill();
            // work directories are tmpfs mounts, and a next start of the node deletes them anyway
            life.deleteWorkDir(e);
        }
    }

    /** Helper for callers that need a value from an execution under its lock. */
    <T> T withLock(Execution e, Function<Execution, T> f) {
        e.lock.lock();
        try {
            return f.apply(e);
        } finally {
            e.lock.unlock();
        }
    }
}

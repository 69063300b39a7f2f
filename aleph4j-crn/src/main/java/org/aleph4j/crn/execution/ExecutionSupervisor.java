package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.crn.logs.ProgramLogs;
import org.aleph4j.crn.prepare.PreparedProgram;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every execution of the node: cold starts on demand (one start for concurrent first
 * requests), idle stops, crash detection, persistent executions under leases with restart
 * back-off, and stopping on code updates and forgets. Implements {@link PersistentHost} for the
 * lease keeper.
 */
public final class ExecutionSupervisor implements PersistentHost, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExecutionSupervisor.class);
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

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

    private final Settings settings;
    private final Preparer preparer;
    private final Executor executor;
    private final ProgramLogs logs;
    private final Path executionsDir;
    private final Path runDir;
    private final InstantSource clock;
    private final Ticker ticker;
    private final Map<String, Execution> onDemand = new ConcurrentHashMap<>();
    private final Map<String, Execution> persistent = new ConcurrentHashMap<>();
    private final Map<String, Long> seenEpochs = new ConcurrentHashMap<>();
    private final Object persistentLock = new Object();
    private final Object admission = new Object();
    private final ScheduledExecutorService timer;
    private volatile boolean closed;

    public ExecutionSupervisor(Settings settings, Preparer preparer, Executor executor, ProgramLogs logs,
                               Path dataDir, InstantSource clock, Ticker ticker) {
        this.settings = settings;
        this.preparer = preparer;
        this.executor = executor;
        this.logs = logs;
        this.executionsDir = dataDir.resolve("executions");
        this.runDir = dataDir.resolve("run");
        this.clock = clock;
        this.ticker = ticker;
        try {
            Files.createDirectories(executionsDir);
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "crn-supervisor-timer");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, Math.min(settings.idleTimeout().toMillis() / 4, 5000));
        timer.scheduleWithFixedDelay(this::reapIdle, period, period, TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- leftovers

    /** Kills programs a previous run of this node left behind and removes what they held; returns how many. */
    public int killLeftovers() {
        return Leftovers.clean(runDir, executionsDir, executor);
    }

    // ---------------------------------------------------------------- on demand

    /**
     * A running on-demand execution of {@code program}, cold-starting it when needed; the caller
     * must call {@link #release} when its request is done. Concurrent callers share one start.
     */
    public Execution acquire(ProgramInfo program) {
        if (closed) throw new CrnException(503, "Server is draining, try another node");
        Execution e = onDemand.computeIfAbsent(program.itemHash(), h -> newExecution(h, false, -1));
        // fast path: announce the request first, then look at the state (the reaper does the reverse)
        e.inFlight.incrementAndGet();
        if (e.running()) {
            e.lastActivityNanos = ticker.nanoTime();
            return e;
        }
        int seenGeneration = e.generation;
        try {
            lockBounded(e);
        } catch (RuntimeException ex) {
            e.inFlight.decrementAndGet();
            throw ex;
        }
        try {
            if (e.running()) {
                e.lastActivityNanos = ticker.nanoTime();
                return e;
            }
            // a start that failed while we waited for it is our answer too: one start per burst
            if (e.generation != seenGeneration && e.state == ExecutionState.FAILED && e.lastFailure != null) {
                throw e.lastFailure;
            }
            admit(e, program);
            start(e, program, null);
            e.lastActivityNanos = ticker.nanoTime();
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
            transition(starting, ExecutionState.PREPARING, null);
        }
    }

    private void admitLocked(Execution starting, ProgramInfo program) {
        var want = program.content().resources();
        long vcpus = want.vcpus();
        long memory = want.memory();
        for (Execution other : all()) {
            if (other == starting || other.program == null) continue;
            ExecutionState s = other.state;
            if (s != ExecutionState.RUNNING && s != ExecutionState.STARTING && s != ExecutionState.PREPARING) continue;
            vcpus += other.program.content().resources().vcpus();
            memory += other.program.content().resources().memory();
        }
        if (vcpus > settings.vcpus() || memory > settings.memoryMiB()) {
            throw new CrnException(503, "this node is at capacity: starting " + program.itemHash() + " would use " + vcpus
                    + " of " + settings.vcpus() + " vCPUs and " + memory + " of " + settings.memoryMiB() + " MiB; try another node",
                    Map.of("item_hash", program.itemHash(), "vcpus", vcpus, "memory_mib", memory,
                            "capacity_vcpus", settings.vcpus(), "capacity_memory_mib", settings.memoryMiB()));
        }
    }

    public void release(Execution e) {
        e.lastActivityNanos = ticker.nanoTime();
        e.inFlight.decrementAndGet();
    }

    private void lockBounded(Execution e) {
        long bound = settings.prepareTimeout().plus(settings.startTimeout()).plusSeconds(10).toMillis();
        try {
            if (!e.lock.tryLock(bound, TimeUnit.MILLISECONDS)) {
                throw new CrnException(503, "program " + e.itemHash + " is still starting, try again");
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new CrnException(503, "interrupted while waiting for the program to start");
        }
    }

    /** Called by the gateway when the program did not answer: notes a crash so the next request restarts it. */
    public void reportUnreachable(Execution e, String why) {
        WatchedProcess p = e.process;
        if (p == null) return;
        // a crashed program's watchdog exits a few ms after it: wait for that, bounded, so the next request restarts it
        try {
            if (p.watchdog().waitFor(2, TimeUnit.SECONDS)) onExit(e, p);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        log.info("program {} unreachable: {}", e.itemHash, why);
    }

    private void reapIdle() {
        try {
            long now = ticker.nanoTime();
            for (Execution e : onDemand.values()) {
                if (e.state != ExecutionState.RUNNING || e.inFlight.get() > 0) continue;
                if (now - e.lastActivityNanos < settings.idleTimeout().toNanos()) continue;
                if (!e.lock.tryLock()) continue;
                try {
                    if (e.state != ExecutionState.RUNNING) continue;
                    e.state = ExecutionState.STOPPING; // publish first, then re-check requests (see acquire)
                    if (e.inFlight.get() > 0 || ticker.nanoTime() - e.lastActivityNanos < settings.idleTimeout().toNanos()) {
                        e.state = ExecutionState.RUNNING;
                        continue;
                    }
                    log.info("stopping idle program {} after {} s without requests", e.itemHash, settings.idleTimeout().toSeconds());
                    stopLocked(e, "idle for " + settings.idleTimeout().toSeconds() + " s");
                } finally {
                    e.lock.unlock();
                }
            }
        } catch (RuntimeException ex) {
            log.warn("idle reaper: {}", ex.toString());
        }
    }

    // ---------------------------------------------------------------- starting and stopping

    private Execution newExecution(String hash, boolean persistentExec, long epoch) {
        String id = hash.substring(0, Math.min(12, hash.length())) + "-" + UUID.randomUUID().toString().substring(0, 8);
        Execution e = new Execution(id, hash, persistentExec, epoch);
        e.times.put(ExecutionState.DEFINED, clock.instant());
        return e;
    }

    private void transition(Execution e, ExecutionState s, String reason) {
        e.state = s;
        e.reason = reason;
        e.times.put(s, clock.instant());
    }

    /** Prepares and starts {@code e}; must hold its lock. Throws the failure after recording it. */
    private void start(Execution e, ProgramInfo program, Duration deadline) {
        e.generation++;
        e.times.keySet().removeIf(s -> s != ExecutionState.DEFINED);
        e.program = program;
        WatchedProcess proc = null;
        try {
            transition(e, ExecutionState.PREPARING, null);
            PreparedProgram prepared = bounded("preparing program " + e.itemHash, settings.prepareTimeout(),
                    () -> preparer.prepare(program, e.id));
            e.prepared = prepared;
            transition(e, ExecutionState.STARTING, null);
            Path work = executionsDir.resolve(e.id);
            HostFiles.createWorkDir(work, settings.workDirMiB());
            Executor.View view = executor.view(prepared.codeDir(), work);
            int port = view.port();
            Path stderr = logs.stderr(e.itemHash);
            long errOffset = logs.size(stderr);
            var res = program.content().resources();
            var env = program.content().environment();
            boolean internet = env != null && Boolean.TRUE.equals(env.internet());
            proc = executor.spawn(new Executor.Spec(e.id, LaunchSpec.command(prepared, view),
                    work, LaunchSpec.environment(e.id, e.itemHash, e.persistent ? e.epoch : null, executor.name(), prepared, view),
                    logs.stdout(e.itemHash), stderr, port, res.memory(), res.vcpus(), deadline, prepared.codeDir(), internet));
            Files.writeString(runDir.resolve(e.id + ".pid"), Long.toString(proc.programPgid()));
            e.process = proc;
            if (!ProcessExecutor.awaitReady(proc, settings.startTimeout())) {
                boolean exited = !proc.alive();
                WatchedProcess failed = proc;
                proc = null;
                failed.kill();
                Integer code = failed.exitCode();
                boolean oom = executor.cgroups().oomKilled(e.id);
                cleanup(e);
                List<String> lines = logs.tail(stderr, errOffset, 20);
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("item_hash", e.itemHash);
                if (code != null) details.put("exit_code", code);
                details.put("stderr", lines);
                String msg = exited ? "program exited at start (" + describeExit(code == null ? -1 : code, oom, program) + ")"
                        : "program did not answer on its port within " + settings.startTimeout().toSeconds() + " s";
                throw new CrnException(exited ? 502 : 504, msg, details);
            }
            e.runningSinceNanos = ticker.nanoTime();
            transition(e, ExecutionState.RUNNING, null);
            WatchedProcess running = proc;
            running.watchdog().onExit().thenRun(() -> Thread.ofVirtual().start(() -> onExit(e, running)));
            log.info("started {} ({}, {}) at {}:{} in {} ({} executor)", e.itemHash,
                    prepared.program().content().code().effectiveInterface().value(),
                    e.persistent ? "persistent, epoch " + e.epoch : "on demand", proc.address(), port, e.id, executor.name());
        } catch (CrnException ex) {
            failStart(e, proc, ex);
            throw ex;
        } catch (IOException | RuntimeException ex) {
            CrnException wrapped = new CrnException(500, "Unhandled error during initialisation: " + ex.getMessage(),
                    Map.of("item_hash", e.itemHash));
            failStart(e, proc, wrapped);
            throw wrapped;
        }
    }

    private void failStart(Execution e, WatchedProcess proc, CrnException ex) {
        if (proc != null) proc.kill();
        if (e.process != null && !e.process.alive()) cleanup(e);
        preparer.unpin(e.id);
        e.process = null;
        e.lastFailure = ex;
        e.lastError = ex.getMessage();
        transition(e, ExecutionState.FAILED, ex.getMessage());
        log.warn("program {} failed to start: {}", e.itemHash, ex.getMessage());
    }

    private <T> T bounded(String what, Duration timeout, java.util.function.Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                f.complete(work.get());
            } catch (Throwable ex) {
                f.completeExceptionally(ex);
            }
        });
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException ex) {
            t.interrupt();
            throw new CrnException(504, what + " timed out after " + timeout.toSeconds() + " s");
        } catch (java.util.concurrent.ExecutionException ex) {
            if (ex.getCause() instanceof CrnException c) throw c;
            throw new CrnException(500, what + " failed: " + ex.getCause());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new CrnException(503, what + " was interrupted");
        }
    }

    private String describeExit(int code, boolean oom, ProgramInfo program) {
        if (code == WatchedProcess.EXIT_LEASE_EXPIRED) return "lease expired: killed by the watchdog";
        if (code == WatchedProcess.EXIT_PIPE_CLOSED) return "supervisor pipe closed: killed by the watchdog";
        if (oom) return "killed: memory limit of " + program.content().resources().memory() + " MiB exceeded";
        if (code > 128) return "killed by signal " + (code - 128);
        return "exited with code " + code;
    }

    /** The watchdog ended: the program is dead. Records why and restarts persistent executions. */
    private void onExit(Execution e, WatchedProcess proc) {
        e.lock.lock();
        try {
            if (e.process != proc) return;
            if (e.state == ExecutionState.STOPPING || e.state == ExecutionState.STOPPED) return;
            Integer code = proc.exitCode();
            boolean oom = executor.cgroups().oomKilled(e.id);
            String why = describeExit(code == null ? -1 : code, oom, e.program);
            cleanup(e);
            e.process = null;
            e.lastError = why;
            e.lastFailure = new CrnException(502, "program " + why, Map.of("item_hash", e.itemHash));
            transition(e, ExecutionState.FAILED, why);
            log.warn("program {} {}", e.itemHash, why);
            if (e.persistent && e.wanted && !closed) {
                if (code != null && code == WatchedProcess.EXIT_LEASE_EXPIRED || ticker.nanoTime() >= e.fenceDeadlineNanos) {
                    e.wanted = false; // the lease is gone: only a new ensureRunning brings it back
                } else {
                    scheduleRestart(e);
                }
            }
        } finally {
            e.lock.unlock();
        }
    }

    private void scheduleRestart(Execution e) {
        // a run that lasted a while resets the back-off: it was a crash, not a crash loop
        if (e.runningSinceNanos != 0 && ticker.nanoTime() - e.runningSinceNanos > Duration.ofSeconds(60).toNanos()) e.restarts = 0;
        long delay = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(10, e.restarts));
        e.restarts++;
        log.info("restarting persistent program {} in {} ms (restart #{})", e.itemHash, delay, e.restarts);
        timer.schedule(() -> Thread.ofVirtual().start(() -> startPersistent(e)), delay, TimeUnit.MILLISECONDS);
    }

    /** Stops the process and releases what the execution held; must hold its lock. */
    private void stopLocked(Execution e, String reason) {
        transition(e, ExecutionState.STOPPING, reason);
        WatchedProcess p = e.process;
        if (p != null) p.stop(STOP_GRACE);
        cleanup(e);
        e.process = null;
        if (!e.persistent) deleteWorkDir(e);
        transition(e, ExecutionState.STOPPED, reason);
    }

    private void cleanup(Execution e) {
        executor.release(e.id);
        preparer.unpin(e.id);
        try {
            Files.deleteIfExists(runDir.resolve(e.id + ".pid"));
        } catch (IOException ignored) {
            // the next start's leftover scan deletes it
        }
    }

    private void deleteWorkDir(Execution e) {
        HostFiles.deleteWorkDir(executionsDir.resolve(e.id));
    }

    private void stopExecution(Execution e, String reason) {
        e.wanted = false;
        e.lock.lock();
        try {
            if (e.state != ExecutionState.STOPPED) stopLocked(e, reason);
        } finally {
            e.lock.unlock();
        }
    }

    /** Stops every execution of {@code itemHash} (forgotten program, code update). Persistent ones stay stopped. */
    public void stopProgram(String itemHash, String reason) {
        Execution e = onDemand.get(itemHash);
        if (e != null) stopExecution(e, reason);
        stop(itemHash, reason);
    }

    /**
     * New code for {@code codeRef}: on-demand executions using it stop (the next request starts the
     * new version); persistent ones restart at once with the same epoch and fence.
     */
    public void codeUpdated(String codeRef) {
        for (Execution e : onDemand.values()) {
            if (usesCode(e, codeRef) && e.state == ExecutionState.RUNNING) {
                log.info("code {} of {} was updated: stopping it, the next request starts the new version", codeRef, e.itemHash);
                stopExecution(e, "code updated");
            }
        }
        for (Execution e : persistent.values()) {
            if (usesCode(e, codeRef) && e.wanted) {
                log.info("code {} of persistent {} was updated: restarting it", codeRef, e.itemHash);
                e.lock.lock();
                try {
                    if (e.state != ExecutionState.STOPPED) stopLocked(e, "code updated");
                } finally {
                    e.lock.unlock();
                }
                Thread.ofVirtual().start(() -> startPersistent(e));
            }
        }
    }

    private static boolean usesCode(Execution e, String codeRef) {
        PreparedProgram p = e.prepared;
        return p != null && (codeRef.equals(p.program().content().code().ref()) || codeRef.equals(p.codeRef()));
    }

    /** Every execution (on-demand and persistent), for the node API. */
    public List<Execution> all() {
        List<Execution> list = new ArrayList<>(onDemand.values());
        list.addAll(persistent.values());
        return list;
    }

    public Optional<Execution> onDemand(String itemHash) {
        return Optional.ofNullable(onDemand.get(itemHash));
    }

    /** The persistent execution of {@code itemHash} if this node runs it under a lease. */
    public Optional<Execution> persistentRunning(String itemHash) {
        Execution e = persistent.get(itemHash);
        return e != null && e.running() ? Optional.of(e) : Optional.empty();
    }

    /** Whether this node holds (or is starting) a persistent execution of {@code itemHash}. */
    public boolean holdsPersistent(String itemHash) {
        Execution e = persistent.get(itemHash);
        return e != null && e.wanted;
    }

    // ---------------------------------------------------------------- persistent (PersistentHost)

    @Override
    public void ensureRunning(String itemHash, long epoch, Duration fence) {
        if (closed) return;
        Execution start;
        Execution old = null;
        synchronized (persistentLock) {
            Long seen = seenEpochs.get(itemHash);
            if (seen != null && epoch < seen) {
                log.warn("ignoring allocation of {} with epoch {}: epoch {} was already seen", itemHash, epoch, seen);
                return;
            }
            seenEpochs.put(itemHash, epoch);
            Execution current = persistent.get(itemHash);
            if (current != null && current.epoch == epoch && current.wanted) {
                renewLease(itemHash, epoch, fence);
                return;
            }
            old = current;
            start = newExecution(itemHash, true, epoch);
            start.wanted = true;
            start.fenceDeadlineNanos = ticker.nanoTime() + fence.toNanos();
            persistent.put(itemHash, start);
        }
        Execution previous = old;
        Thread.ofVirtual().name("persistent-" + itemHash.substring(0, 8)).start(() -> {
            if (previous != null) stopExecution(previous, "superseded by epoch " + epoch);
            startPersistent(start);
        });
    }

    private void startPersistent(Execution e) {
        if (!e.wanted || closed) return;
        lockBounded(e);
        try {
            if (!e.wanted || e.running()) return;
            long remaining = e.fenceDeadlineNanos - ticker.nanoTime();
            if (remaining <= 0) {
                e.wanted = false;
                transition(e, ExecutionState.FAILED, "lease expired before the program could start");
                return;
            }
            ProgramInfo program = preparer.program(e.itemHash);
            start(e, program, Duration.ofNanos(remaining));
            // the fence may have been renewed while we were starting
            e.renewLease(Duration.ofNanos(Math.max(0, e.fenceDeadlineNanos - ticker.nanoTime())));
        } catch (CrnException ex) {
            e.lastError = ex.getMessage();
            if (e.state != ExecutionState.FAILED) transition(e, ExecutionState.FAILED, ex.getMessage());
            if (e.wanted && !closed && ticker.nanoTime() < e.fenceDeadlineNanos) scheduleRestart(e);
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public void renewLease(String itemHash, long epoch, Duration remaining) {
        Execution e = persistent.get(itemHash);
        if (e == null || e.epoch != epoch || !e.wanted) return;
        e.fenceDeadlineNanos = ticker.nanoTime() + remaining.toNanos();
        e.renewLease(remaining);
    }

    @Override
    public void stop(String itemHash, String reason) {
        Execution e;
        synchronized (persistentLock) {
            e = persistent.remove(itemHash);
        }
        if (e == null) return;
        log.info("stopping persistent program {} (epoch {}): {}", itemHash, e.epoch, reason);
        stopExecution(e, reason);
        deleteWorkDir(e);
    }

    @Override
    public List<PersistentStatus> persistentExecutions() {
        List<PersistentStatus> out = new ArrayList<>();
        for (Execution e : persistent.values()) {
            out.add(new PersistentStatus(e.itemHash, e.epoch, e.state.name(), e.restarts, e.lastError));
        }
        return out;
    }

    // ---------------------------------------------------------------- shutdown

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        List<Thread> stops = new ArrayList<>();
        for (Execution e : all()) {
            stops.add(Thread.ofVirtual().start(() -> stopExecution(e, "node shutting down")));
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
            deleteWorkDir(e);
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

package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.guest.GuestEnvironment;
import org.aleph4j.crn.logs.ProgramLogs;
import org.aleph4j.crn.prepare.PreparedProgram;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.aleph4j.message.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one execution, whoever owns it ({@link OnDemandPool} or {@link PersistentRunner}):
 * prepare and start it under its lock with every step bounded, record why it failed or exited,
 * stop it and release what it held. A persistent execution that crashed while its lease holds is
 * handed to {@code crashed} (its runner restarts it with back-off).
 */
final class ExecutionLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ExecutionLifecycle.class);
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    final ExecutionSupervisor.Settings settings;
    final Preparer preparer;
    final Executor executor;
    private final ProgramLogs logs;
    final Path executionsDir;
    final Path runDir;
    private final InstantSource clock;
    final Ticker ticker;
    private volatile Consumer<Execution> crashed = e -> {};
    final ExecutionVolumes volumes;
    volatile org.aleph4j.crn.guest.GuestApis guest;
    /** Pre-warmed sandboxes for on-demand ASGI programs (null: every start is cold). */
    volatile WarmPool warm;
    volatile boolean closed;

    ExecutionLifecycle(ExecutionSupervisor.Settings settings, Preparer preparer, Executor executor, ProgramLogs logs,
                       Path dataDir, InstantSource clock, Ticker ticker, ExecutionVolumes volumes) {
        this.settings = settings;
        this.volumes = volumes;
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
    }

    /** Who restarts a persistent execution that crashed while its lease holds. */
    void onPersistentCrash(Consumer<Execution> restart) {
        this.crashed = restart;
    }

    Execution newExecution(String hash, boolean persistentExec, long epoch) {
        String id = hash.substring(0, Math.min(12, hash.length())) + "-" + UUID.randomUUID().toString().substring(0, 8);
        Execution e = new Execution(id, hash, persistentExec, epoch);
        e.times.put(ExecutionState.DEFINED, clock.instant());
        return e;
    }

    void transition(Execution e, ExecutionState s, String reason) {
        e.state = s;
        e.reason = reason;
        e.times.put(s, clock.instant());
    }

    /**
     * Prepares and starts {@code e}; must hold its lock. Throws the failure after recording it.
     * {@code fence} (persistent executions; null on demand) gives the lease's current deadline on
     * the ticker: it is read again right before the spawn, so a preparation that outlasted the
     * lease never starts the program, and the watchdog gets the latest deadline, absolute.
     */
    void start(Execution e, ProgramInfo program, java.util.function.LongSupplier fence) {
        e.generation++;
        e.times.keySet().removeIf(s -> s != ExecutionState.DEFINED);
        e.program = program;
        WatchedProcess proc = null;
        WarmPool.Slot slot = null;
        boolean assigned = false;
        try {
            transition(e, ExecutionState.PREPARING, null);
            long t0 = ticker.nanos();
            PreparedProgram prepared = bounded("preparing program " + e.itemHash, settings.prepareTimeout(),
                    () -> preparer.prepare(program, e.id));
            e.prepared = prepared;
            transition(e, ExecutionState.STARTING, null);
            long t1 = ticker.nanos();
            Path work = executionsDir.resolve(e.id);
            Executor.View view = executor.view(prepared.codeDir(), work);
            List<String> command = LaunchSpec.command(prepared, view);
            Map<String, String> environment = LaunchSpec.environment(e.id, e.itemHash, e.persistent ? e.epoch : null,
                    executor.name(), prepared, view);
            var env = program.content().environment();
            boolean internet = env != null && Boolean.TRUE.equals(env.internet());
            WarmPool pool = warm;
            if (pool != null && fence == null) slot = pool.take(prepared, command, environment, internet, e.persistent);
            if (slot != null) {
                work = slot.work(); // the sandbox's view of it is the same: /data, /tmp
            } else {
                HostFiles.createWorkDir(work, settings.workDirMiB());
            }
            e.workDir = work;
            int port = view.port();
            var guestApis = guest;
            // in the program's /tmp: the sandbox shows it at upstream's /tmp/socat-socket
            if (guestApis != null) guestApis.open(e.id, e.itemHash, work.resolve("tmp").resolve(GuestEnvironment.SOCKET_NAME));
            Path stderr = logs.stderr(e.itemHash);
            long errOffset = logs.size(stderr);
            Path stdout = logs.stdout(e.itemHash);
            long outOffset = logs.size(stdout);
            var res = program.content().resources();
            var content = program.content();
            List<Executor.Mount> mounts = content.volumes().isEmpty() ? List.of()
                    : bounded("attaching the volumes of " + e.itemHash, settings.prepareTimeout(), () -> volumes.attach(
                            new ExecutionVolumes.Start(e.id, e.itemHash, content.address(), e.persistent, e.epoch,
                                    e.generation > 1, content.volumes())));
            Long deadline = fence == null ? null : fence.getAsLong();
            if (deadline != null && deadline <= ticker.nanos()) {
                throw new CrnException(503, "lease expired while preparing: not started", Map.of("item_hash", e.itemHash));
            }
            logs.mark(e.itemHash, clock.instant(), "--- started" + (e.persistent ? " (epoch " + e.epoch + ")" : "") + " ---");
            Executor.Spec spec = new Executor.Spec(e.id, command, work, environment, stdout, stderr, port, res.memory(),
                    res.vcpus(), deadline, prepared.codeDir(), internet, mounts);
            if (slot != null) {
                assigned = true; // from here the slot's resources are the execution's, released with it
                proc = pool.assign(slot, spec);
            } else {
                proc = executor.spawn(spec);
            }
            long t2 = ticker.nanos();
            Files.writeString(runDir.resolve(e.id + ".pid"), Long.toString(proc.programPgid()));
            e.process = proc;
            if (!executor.awaitReady(proc, settings.startTimeout())) {
                boolean exited = !proc.alive();
                WatchedProcess failed = proc;
                proc = null;
                failed.kill();
                Integer code = failed.exitCode();
                boolean oom = executor.oomKilled(e.id);
                cleanup(e);
                List<String> lines = logs.tail(stderr, errOffset, 20);
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("item_hash", e.itemHash);
                if (code != null) details.put("exit_code", code);
                details.put("stderr", lines);
                details.put("stdout", logs.tail(stdout, outOffset, 20));
                String msg = exited ? "program exited at start (" + describeExit(code == null ? -1 : code, oom, program) + ")"
                        : "program did not answer on its port within " + settings.startTimeout().toSeconds() + " s";
                String last = lastLine(lines);
                if (last != null) msg += ": " + last;
                throw new CrnException(exited ? 502 : 504, msg, details);
            }
            e.runningSinceNanos = ticker.nanos();
            transition(e, ExecutionState.RUNNING, null);
            WatchedProcess running = proc;
            running.watchdog().onExit().thenRun(() -> Thread.ofVirtual().start(() -> onExit(e, running)));
            long t3 = ticker.nanos();
            log.info("started {} ({}, {}) at {}:{} in {} ({} executor{}; prepared {} ms, spawned {} ms, listening {} ms)", e.itemHash,
                    prepared.program().content().code().effectiveInterface().value(),
                    e.persistent ? "persistent, epoch " + e.epoch : "on demand", proc.address(), port, e.id, executor.name(),
                    slot != null ? ", warm slot " + slot.sandbox().id() : "", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                    (t3 - t2) / 1_000_000);
        } catch (CrnException ex) {
            if (slot != null && !assigned) warm.discard(slot);
            if (slot != null && assigned && proc == null) HostFiles.deleteWorkDir(slot.work()); // assign released the rest
            failStart(e, proc, ex);
            throw ex;
        } catch (IOException | RuntimeException ex) {
            if (slot != null && !assigned) warm.discard(slot);
            if (slot != null && assigned && proc == null) HostFiles.deleteWorkDir(slot.work());
            CrnException wrapped = new CrnException(500, "Unhandled error during initialisation: " + ex.getMessage(),
                    Map.of("item_hash", e.itemHash));
            failStart(e, proc, wrapped);
            throw wrapped;
        }
    }

    void failStart(Execution e, WatchedProcess proc, CrnException ex) {
        if (proc != null) proc.kill();
        if (e.process != null && !e.process.alive()) cleanup(e);
        preparer.unpin(e.id);
        e.process = null;
        e.lastFailure = ex;
        e.lastError = ex.getMessage();
        transition(e, ExecutionState.FAILED, ex.getMessage());
        logs.mark(e.itemHash, clock.instant(), "--- failed to start: " + ex.getMessage() + " ---");
        log.warn("program {} failed to start: {}", e.itemHash, ex.getMessage());
    }

    <T> T bounded(String what, Duration timeout, java.util.function.Supplier<T> work) {
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

    /** The last non-blank line of a log tail (what a crashing program said last), at most 300 characters. */
    static String lastLine(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i).strip();
            if (!l.isEmpty()) return l.length() > 300 ? l.substring(0, 300) + "…" : l;
        }
        return null;
    }

    String describeExit(int code, boolean oom, ProgramInfo program) {
        if (code == WatchedProcess.EXIT_LEASE_EXPIRED) return "lease expired: killed by the watchdog";
        if (code == WatchedProcess.EXIT_PIPE_CLOSED) return "supervisor pipe closed: killed by the watchdog";
        if (oom) return "killed: memory limit of " + program.content().resources().memory() + " MiB exceeded";
        if (code > 128) return "killed by signal " + (code - 128);
        return "exited with code " + code;
    }

    /** The watchdog ended: the program is dead. Records why and restarts persistent executions. */
    void onExit(Execution e, WatchedProcess proc) {
        e.lock.lock();
        try {
            if (e.process != proc) return;
            if (e.state == ExecutionState.STOPPING || e.state == ExecutionState.STOPPED) return;
            Integer code = proc.exitCode();
            boolean oom = executor.oomKilled(e.id);
            String why = describeExit(code == null ? -1 : code, oom, e.program);
            cleanup(e);
            e.process = null;
            String said = lastLine(logs.tail(logs.stderr(e.itemHash), 0, 5));
            e.lastError = said == null ? why : why + ": " + said;
            e.lastFailure = new CrnException(502, "program " + why, Map.of("item_hash", e.itemHash));
            // a fence is not the program's failure: reported STOPPED, the scheduler places it again (new
            // epoch) rather than counting a crash against this node
            boolean fenced = code != null && code == WatchedProcess.EXIT_LEASE_EXPIRED;
            transition(e, fenced ? ExecutionState.STOPPED : ExecutionState.FAILED, why);
            logs.mark(e.itemHash, clock.instant(), "--- exited: " + why + " ---");
            log.warn("program {} {}", e.itemHash, why);
            if (e.persistent && e.wanted && !closed) {
                if (code != null && code == WatchedProcess.EXIT_LEASE_EXPIRED || ticker.nanos() >= e.fenceDeadlineNanos) {
                    e.wanted = false; // the lease is gone: only a new ensureRunning brings it back
                } else {
                    crashed.accept(e);
                }
            }
        } finally {
            e.lock.unlock();
        }
    }

    /** Stops the process and releases what the execution held; must hold its lock. */
    void stopLocked(Execution e, String reason) {
        transition(e, ExecutionState.STOPPING, reason);
        WatchedProcess p = e.process;
        if (p != null) p.stop(STOP_GRACE);
        // after the process is gone: the marker comes after everything it wrote while stopping
        if (p != null) logs.mark(e.itemHash, clock.instant(), "--- stopped: " + reason + " ---");
        cleanup(e);
        e.process = null;
        if (!e.persistent) deleteWorkDir(e);
        transition(e, ExecutionState.STOPPED, reason);
    }

    void cleanup(Execution e) {
        var guestApis = guest;
        if (guestApis != null) guestApis.close(e.id);
        executor.release(e.id);
        volumes.detach(e.id);
        preparer.unpin(e.id);
        Path work = e.workDir;
        if (work != null && !work.equals(executionsDir.resolve(e.id))) {
            // a warm slot's work directory is used once, like the rest of the slot
            HostFiles.deleteWorkDir(work);
            e.workDir = null;
        }
        try {
            Files.deleteIfExists(runDir.resolve(e.id + ".pid"));
        } catch (IOException ignored) {
            // the next start's leftover scan deletes it
        }
    }

    void deleteWorkDir(Execution e) {
        Path work = e.workDir;
        HostFiles.deleteWorkDir(work != null ? work : executionsDir.resolve(e.id));
    }

    void stopExecution(Execution e, String reason) {
        e.wanted = false;
        e.lock.lock();
        try {
            if (e.state != ExecutionState.STOPPED) stopLocked(e, reason);
        } finally {
            e.lock.unlock();
        }
    }

    void lockBounded(Execution e) {
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
}

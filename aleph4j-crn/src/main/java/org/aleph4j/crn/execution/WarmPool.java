package org.aleph4j.crn.execution;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.aleph4j.crn.prepare.PreparedProgram;
import org.aleph4j.message.content.Interface;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-warmed sandboxes for on-demand ASGI programs on the node's Python: each slot is a sandbox of
 * its own (network namespace, uid, cgroups, /etc, work directory, empty code directory, seccomp) in
 * which the warm runner has already started the interpreter and imported uvicorn and FastAPI. The
 * first request of a program takes a slot, which gets that program's limits, internet, host name,
 * code, logs and environment before any of its code runs ({@link SandboxExecutor#assign}); the slot
 * is then the execution's, destroyed with it like a cold start's sandbox, and never serves another
 * program. A refill thread keeps {@code size} slots ready, one warmed at a time.
 *
 * <p>Programs a slot cannot run exactly as a cold start would take the cold path: persistent ones,
 * with volumes, binaries, another interpreter, variables read at interpreter start
 * ({@code PYTHON*}, {@code LD_*}, {@code LC_*}, ...), code shipping a module the runner preloaded, or
 * internet where the egress rules can only be written at configure time.
 */
public final class WarmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);
    /** The runner's line once its imports are done, followed by the top-level modules loaded. */
    static final String READY = "aleph4j-warm-ready";
    /** The cgroup memory limit while a slot waits (the runner uses about 50 MiB); the program's own is set at assignment. */
    static final int WARM_MEMORY_MIB = 256;
    private static final Duration WARM_TIMEOUT = Duration.ofSeconds(60);
    /** Default number of ready slots on a sandbox node. */
    public static final int DEFAULT_SIZE = 2;
    private static final List<String> STARTUP_PREFIXES = List.of("PYTHON", "LD_", "LC_", "MALLOC_", "GLIBC_", "OPENSSL_");
    private static final Set<String> STARTUP_NAMES = Set.of("TZ", "LANGUAGE");
    /**
     * The size of the runner's starting environment, filled up by {@code ALEPH4J_WARM_PAD}, so that
     * the program's environment (bounded by the same {@link LaunchCommand#MAX_ENVIRONMENT_BYTES} on a
     * cold start) fits where /proc/PID/environ reads it (see warm_runner.py).
     */
    static final int ENV_ROOM = LaunchCommand.MAX_ENVIRONMENT_BYTES;

    private final SandboxExecutor sandbox;
    private final Path python;
    private final int size;
    private final Path executionsDir;
    private final Path logDir;
    private final int workDirMiB;
    private final String runner;
    /** The runner's environment: the node's interpreter variables of every sandboxed program (see {@link LaunchSpec}), nothing else. */
    private final Map<String, String> runnerEnv;
    private final Map<String, String> launchEnv;
    private final Deque<Slot> ready = new ConcurrentLinkedDeque<>();
    private final AtomicInteger warming = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong warmed = new AtomicLong();
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean closed;
    private final Thread refiller;

    /** A ready slot and the top-level modules its interpreter has loaded. */
    record Slot(SandboxExecutor.WarmSlot sandbox, Set<String> preloaded) {
        Path work() {
            return sandbox.work();
        }
    }

    /**
     * @param python the node's default interpreter (the slots' and their programs')
     * @param executionsDir where the slots' work directories are made (tmpfs of {@code workDirMiB}, as an execution's)
     */
    public WarmPool(SandboxExecutor sandbox, Path python, int size, Path executionsDir, Path runDir, int workDirMiB) {
        if (size < 1) throw new IllegalArgumentException("a warm pool needs at least one slot");
        this.sandbox = sandbox;
        this.python = python;
        this.size = size;
        this.executionsDir = executionsDir;
        this.logDir = runDir.resolve("warm");
        this.workDirMiB = workDirMiB;
        Executor.View view = sandbox.view(null, null);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", LaunchSpec.PATH);
        env.put("HOME", view.workDir().toString());
        env.put("TMPDIR", view.tmpDir().toString());
        env.put("LANG", LaunchSpec.LANG);
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        this.runnerEnv = Map.copyOf(env);
        int used = 0;
        for (Map.Entry<String, String> v : env.entrySet()) used += v.getKey().length() + v.getValue().length() + 2;
        String pad = "ALEPH4J_WARM_PAD";
        env.put(pad, "x".repeat(ENV_ROOM - used - pad.length() - 2));
        this.launchEnv = Map.copyOf(env);
        try (InputStream in = WarmPool.class.getResourceAsStream("warm_runner.py")) {
            if (in == null) throw new IllegalStateException("warm_runner.py resource is missing");
            this.runner = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Files.createDirectories(logDir);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(logDir)) {
                for (Path f : ds) Files.deleteIfExists(f); // a previous run's (its slots were released as leftovers)
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sandbox.reportWarmPool(this::describe);
        this.refiller = Thread.ofVirtual().name("warm-pool").start(this::refill);
    }

    /**
     * A ready slot for this program, or null when there is none or the program must take the cold
     * path; the caller must {@link #assign} it or {@link #discard} it.
     * @param command the program's cold command line, {@code env} its whole environment
     */
    Slot take(PreparedProgram p, List<String> command, Map<String, String> env, boolean internet, boolean persistent) {
        if (closed) return null;
        String why = coldReason(p, command, env, internet, persistent);
        if (why != null) {
            log.debug("{}: cold start ({})", p.program().itemHash(), why);
            return null;
        }
        Set<String> shipped = topLevelNames(p.codeDir());
        while (true) {
            Slot s = ready.pollFirst();
            if (s == null) {
                log.debug("{}: cold start (no warm slot ready)", p.program().itemHash());
                return null;
            }
            wake.release();
            if (!s.sandbox().process().alive()) {
                destroy(s);
                continue;
            }
            for (String name : shipped) {
                if (s.preloaded().contains(name)) {
                    ready.addFirst(s); // unused: still ready for another program
                    log.debug("{}: cold start (its code ships module {}, preloaded by the warm runner)", p.program().itemHash(), name);
                    return null;
                }
            }
            return s;
        }
    }

    /** Why a program cannot run in a warm slot exactly as on a cold start; null when it can. */
    String coldReason(PreparedProgram p, List<String> command, Map<String, String> env, boolean internet, boolean persistent) {
        var content = p.program().content();
        if (persistent) return "persistent";
        if (content.code().effectiveInterface() != Interface.ASGI) return "not an ASGI program";
        if (!content.volumes().isEmpty()) return "volumes";
        if (!python.equals(p.runtime().python())) return "runtime on another interpreter (" + p.runtime().python() + ")";
        if (command.size() < 3 || !command.get(0).equals(python.toString()) || !command.get(1).equals("-m")
                || !command.get(2).equals("uvicorn")) {
            return "not started by uvicorn";
        }
        if (internet && !sandbox.warmSlotsGrantInternet()) return "internet without nftables";
        long bytes = 0;
        for (Map.Entry<String, String> v : env.entrySet()) {
            String name = v.getKey();
            bytes += name.length() + (v.getValue() == null ? 0 : v.getValue().getBytes(StandardCharsets.UTF_8).length) + 2;
            String want = runnerEnv.get(name);
            if (want != null) {
                if (!want.equals(v.getValue())) return "variable " + name + " differs from the runner's";
            } else if (STARTUP_NAMES.contains(name) || STARTUP_PREFIXES.stream().anyMatch(name::startsWith)) {
                return "variable " + name + " is read at interpreter start";
            }
        }
        if (bytes >= ENV_ROOM) return "environment larger than the runner's room for it";
        return null;
    }

    /** The names a program's code could shadow a module with: its top-level entries, up to the first dot. */
    private static Set<String> topLevelNames(Path codeDir) {
        Set<String> names = new java.util.HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(codeDir)) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                int dot = n.indexOf('.');
                names.add(dot > 0 ? n.substring(0, dot) : n);
            }
        } catch (IOException e) {
            names.add("*unreadable*");
        }
        return names;
    }

    /** Gives {@code slot} the program of {@code spec}; the execution owns the slot from here. */
    WatchedProcess assign(Slot slot, Executor.Spec spec) {
        served.incrementAndGet();
        return sandbox.assign(slot.sandbox(), spec);
    }

    /** Destroys a slot that was taken but not given a program. */
    void discard(Slot slot) {
        destroy(slot);
    }

    private void destroy(Slot s) {
        SandboxExecutor.WarmSlot w = s.sandbox();
        w.process().kill();
        sandbox.release(w.id());
        HostFiles.deleteWorkDir(w.work());
        try {
            Files.deleteIfExists(logDir.resolve(w.id() + ".out"));
            Files.deleteIfExists(logDir.resolve(w.id() + ".err"));
        } catch (IOException ignored) {
            // removed with the next pool's start
        }
    }

    private void refill() {
        int failures = 0;
        while (!closed) {
            ready.removeIf(s -> {
                if (s.sandbox().process().alive()) return false;
                log.warn("warm slot {} died while idle: {}", s.sandbox().id(), lastLines(s));
                destroy(s);
                return true;
            });
            if (ready.size() < size) {
                warming.incrementAndGet();
                try {
                    Slot s = warmOne();
                    if (closed) {
                        destroy(s);
                    } else {
                        ready.addLast(s);
                        warmed.incrementAndGet();
                        failures = 0;
                    }
                } catch (RuntimeException e) {
                    failures++;
                    log.warn("cannot warm a slot ({} in a row): {}", failures, e.getMessage());
                } finally {
                    warming.decrementAndGet();
                }
                if (failures == 0) continue;
            }
            try {
                // after failures, back off (up to a minute); otherwise wait for a take or a periodic check
                long wait = failures == 0 ? 1000 : Math.min(60_000, 1000L << Math.min(6, failures));
                wake.tryAcquire(wait, TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Slot warmOne() {
        String id = "warm-" + UUID.randomUUID().toString().substring(0, 8);
        Path work = executionsDir.resolve(id);
        Path out = logDir.resolve(id + ".out");
        Path err = logDir.resolve(id + ".err");
        SandboxExecutor.WarmSlot w;
        try {
            HostFiles.createWorkDir(work, workDirMiB);
            w = sandbox.warm(id, List.of(python.toString(), "-c", runner), launchEnv, work, out, err, WARM_MEMORY_MIB);
        } catch (IOException | RuntimeException e) {
            HostFiles.deleteWorkDir(work);
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
        long end = System.nanoTime() + WARM_TIMEOUT.toNanos();
        Slot s = new Slot(w, Set.of());
        while (System.nanoTime() < end && !closed) {
            String line = readyLine(out);
            if (line != null) {
                return new Slot(w, Set.of(line.substring(line.indexOf(READY) + READY.length()).strip().split("\\s+")));
            }
            if (!w.process().alive()) break;
            try {
                Thread.sleep(10); // polling the runner's log: its only way to tell the node it is ready
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String why = lastLines(s);
        destroy(s);
        throw new IllegalStateException("the warm runner did not get ready" + (why.isEmpty() ? "" : ": " + why));
    }

    private static String readyLine(Path out) {
        try {
            if (!Files.exists(out) || Files.size(out) == 0) return null;
            for (String l : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                if (l.contains(" " + READY + " ")) return l;
            }
        } catch (IOException | UncheckedIOException ignored) {
            // not yet
        }
        return null;
    }

    private String lastLines(Slot s) {
        try {
            List<String> l = Files.readAllLines(logDir.resolve(s.sandbox().id() + ".err"));
            return String.join(" | ", l.subList(Math.max(0, l.size() - 3), l.size()));
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    /** What /about shows: the pool's size, its ready slots and the memory they hold now. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("size", size);
        m.put("ready", ready.size());
        m.put("warming", warming.get());
        long bytes = 0;
        for (Slot s : ready) bytes += sandbox.cgroups().memoryBytes(s.sandbox().id());
        m.put("idle_memory_mib", bytes / (1024 * 1024));
        m.put("slot_memory_limit_mib", WARM_MEMORY_MIB);
        m.put("served", served.get());
        m.put("warmed", warmed.get());
        return m;
    }

    /** How many slots are ready now. */
    int readyCount() {
        return ready.size();
    }

    /** Destroys every idle slot and stops refilling (slots given to programs go with their executions). */
    @Override
    public void close() {
        closed = true;
        refiller.interrupt();
        try {
            refiller.join(Duration.ofSeconds(70));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Slot s;
        while ((s = ready.pollFirst()) != null) destroy(s);
    }
}

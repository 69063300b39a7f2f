package org.aleph4j.crn.execution;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.aleph4j.crn.CrnException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code process} executor: every program runs as a child process of a small Python watchdog
 * (shipped as a resource), in its own session and process group, inside cgroups with
 * memory/cpu/pids limits when the host allows them. When the node runs as root each execution gets
 * its own unprivileged uid (from {@link UidPool}) with no capabilities, so it cannot read node keys,
 * other executions' directories or logs; otherwise programs run as the node's user (an unprivileged
 * laptop) and nothing is isolated. It only spawns and waits for readiness; lifecycle decisions are
 * the supervisor's.
 */
public final class ProcessExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(ProcessExecutor.class);
    /** The only environment of host-side processes: nothing of a message. */
    static final Map<String, String> HOST_ENV = Map.of("PATH", "/usr/bin:/bin:/usr/sbin:/sbin", "LANG", "C.UTF-8");
    public static final long DEFAULT_LOG_MAX_BYTES = 8L * 1024 * 1024;
    private final Path python;
    private final Path runDir;
    private final Path watchdogScript;
    private final Cgroups cgroups;
    private final long logMaxBytes;
    /** Per-execution users when the node is root (null otherwise). */
    private final UidPool uids;
    private final Set<String> readableCode = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean protectedDirs = new java.util.concurrent.atomic.AtomicBoolean();
    /** The seccomp filter the watchdog installs on programs it runs itself (root with python3-seccomp), else null. */
    private final Path seccomp;

    public ProcessExecutor(Path python, Path runDir, Cgroups cgroups) {
        this(python, runDir, cgroups, DEFAULT_LOG_MAX_BYTES);
    }

    /** @param logMaxBytes size at which the watchdog rotates a program's stdout/stderr file */
    public ProcessExecutor(Path python, Path runDir, Cgroups cgroups, long logMaxBytes) {
        this.python = python;
        this.cgroups = cgroups;
        this.runDir = runDir;
        this.logMaxBytes = logMaxBytes;
        this.uids = HostFiles.isRoot() ? new UidPool(Path.of("/run/aleph4j-uids")) : null;
        try {
            Files.createDirectories(runDir);
            this.watchdogScript = runDir.resolve("watchdog.py");
            try (InputStream in = ProcessExecutor.class.getResourceAsStream("watchdog.py")) {
                if (in == null) throw new IllegalStateException("watchdog.py resource is missing");
                Files.copy(in, watchdogScript, StandardCopyOption.REPLACE_EXISTING);
            }
            if (uids != null && SeccompFilter.available()) {
                this.seccomp = SeccompFilter.compile(runDir);
            } else {
                if (uids != null) log.warn("python3-seccomp is not installed: programs of the process executor run without a seccomp filter");
                this.seccomp = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public Cgroups cgroups() {
        return cgroups;
    }

    @Override
    public View view(Path codeDir, Path workDir) {
        return new View(codeDir, workDir, workDir.resolve("tmp"), "127.0.0.1", freePort());
    }

    @Override
    public void release(String executionId) {
        cgroups.killAndRemove(executionId);
        if (uids != null) uids.release(executionId);
    }

    @Override
    public int cleanLeftovers() {
        return uids == null ? 0 : uids.reclaimOrphans(); // pid files are handled by the supervisor, cgroups by release()
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name());
        m.put("isolation", uids != null ? "none but a user per execution: own uid, no capabilities, no_new_privs"
                + (seccomp != null ? ", seccomp filter" : "") + ", cgroup limits; shares the host's filesystem view and network"
                : "none (child processes of the node's user)");
        m.put("internet", true);
        return m;
    }

    public Path python() {
        return python;
    }

    /** The executions' users, when the node is root. */
    UidPool uids() {
        return uids;
    }

    /** A free TCP port on 127.0.0.1 (bound and released: the program binds it right after). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public WatchedProcess spawn(Spec spec) {
        if (!spec.mounts().isEmpty()) {
            throw new CrnException(503, "this node's executor (process) cannot mount volumes: they need the sandbox executor");
        }
        List<String> program = LaunchCommand.withEnvironment(spec.env(), spec.command());
        // no mount namespace here, so no /opt/code: the program starts in its unpacked code (ALEPH4J_CODE_DIR), as in the sandbox
        Path cwd = spec.codeDir() != null ? spec.codeDir() : spec.workDir();
        if (uids == null) return launch(spec, program, List.of(), "127.0.0.1", cwd);
        int uid = uids.allocate(spec.executionId());
        try {
            // once: the node's directories all exist by the first spawn, and keep their modes
            if (protectedDirs.compareAndSet(false, true)) HostFiles.protectNodeDirs(runDir.getParent());
            HostFiles.chownTree(spec.workDir(), uid);
            HostFiles.passable(spec.workDir().getParent());
            if (spec.codeDir() != null) HostFiles.makeReadableOnce(readableCode, spec.codeDir());
            List<String> cmd = new ArrayList<>(LaunchCommand.dropPrivileges(uid));
            cmd.addAll(program);
            List<String> watchdogArgs = seccomp == null ? List.of() : List.of("--seccomp-apply", seccomp.toString());
            return launch(spec, cmd, watchdogArgs, "127.0.0.1", cwd);
        } catch (IOException | RuntimeException e) {
            uids.release(spec.executionId());
            if (e instanceof CrnException c) throw c;
            throw new CrnException(500, "cannot prepare the execution's user: " + e.getMessage());
        }
    }

    /**
     * Starts the watchdog running {@code command} (already the final command line, privilege drop
     * and environment included) in the execution's cgroups, the program in {@code cwd};
     * {@code watchdogArgs} are extra watchdog flags (e.g. the network namespace to enter),
     * {@code address} where the CRN reaches the program. The watchdog itself gets a fixed
     * environment and working directory and an isolated interpreter ({@code -I -S}).
     */
    WatchedProcess launch(Spec spec, List<String> command, List<String> watchdogArgs, String address, Path cwd) {
        Cgroups.Placement cg = cgroups.create(spec.executionId(), spec.memoryMiB(), spec.vcpus());
        List<String> cmd = new ArrayList<>(List.of(python.toString(), "-I", "-S", "-u", watchdogScript.toString(),
                "--stdout", spec.stdout().toString(), "--stderr", spec.stderr().toString(), "--cwd", cwd.toString(),
                "--log-max-bytes", Long.toString(logMaxBytes)));
        cmd.addAll(watchdogArgs);
        if (spec.deadlineAtBootNanos() != null) {
            cmd.add("--deadline-at-ms");
            cmd.add(Long.toString(Math.max(0, spec.deadlineAtBootNanos() / 1_000_000L)));
        }
        for (Path p : cg.procs()) {
            cmd.add("--cgroup-procs");
            cmd.add(p.toString());
        }
        for (Path d : cg.killDirs()) {
            cmd.add("--cgroup-kill");
            cmd.add(d.toString());
        }
        if (cg.freezer() != null) {
            cmd.add("--freezer");
            cmd.add(cg.freezer().toString());
        }
        cmd.add("--");
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(runDir.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(spec.stderr().toFile()));
        pb.environment().clear();
        pb.environment().putAll(HOST_ENV);
        Process wd;
        try {
            wd = pb.start();
        } catch (IOException e) {
            cgroups.remove(spec.executionId());
            throw new CrnException(500, "cannot start the program: " + e.getMessage());
        }
        // the first stdout line of the watchdog is the program's pid; bounded so a broken python cannot hang us
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(wd.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            } catch (IOException e) {
                return null;
            }
        }, r -> Thread.ofVirtual().start(r));
        String line;
        try {
            line = first.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (line == null || !line.strip().matches("\\d+")) {
            wd.destroyForcibly();
            cgroups.killAndRemove(spec.executionId());
            throw new CrnException(502, "the program could not be started (watchdog did not report a pid)",
                    Map.of("command", String.join(" ", spec.command())));
        }
        return new WatchedProcess(wd, Long.parseLong(line.strip()), address, spec.port(), cg.procs());
    }
}

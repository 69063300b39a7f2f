package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-execution cgroups enforcing {@code resources.memory} and {@code vcpus} (and a pids cap).
 * cgroup v2 when /sys/fs/cgroup is the unified hierarchy, else the v1 memory/cpu/pids hierarchies;
 * when neither is writable the node runs programs unlimited and says so in /about.
 */
public final class Cgroups {
    private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
    public static final int PIDS_MAX = 512;

    public enum Mode { V2, V1, NONE }

    private final Path root;
    private final String parent;
    private final Mode mode;
    private final String why;

    public Cgroups(Path root, String parent) {
        this.root = root;
        this.parent = parent;
        Mode m = Mode.NONE;
        String reason;
        try {
            if (Files.exists(root.resolve("cgroup.controllers"))) {
                Path p = root.resolve(parent);
                Files.createDirectories(p);
                String controllers = Files.readString(root.resolve("cgroup.subtree_control"));
                for (String c : List.of("memory", "cpu", "pids")) {
                    if (!controllers.contains(c)) Files.writeString(root.resolve("cgroup.subtree_control"), "+" + c);
                }
                Files.writeString(p.resolve("cgroup.subtree_control"), "+memory +cpu +pids");
                m = Mode.V2;
                reason = "cgroup v2 under " + p;
            } else if (Files.isDirectory(root.resolve("memory"))) {
                for (String c : List.of("memory", "cpu", "pids")) Files.createDirectories(root.resolve(c).resolve(parent));
                if (Files.isDirectory(root.resolve("freezer"))) Files.createDirectories(root.resolve("freezer").resolve(parent));
                m = Mode.V1;
                reason = "cgroup v1 under " + root + "/{memory,cpu,pids}/" + parent;
            } else {
                reason = "no cgroup hierarchy at " + root;
            }
        } catch (IOException | RuntimeException e) {
            m = Mode.NONE;
            reason = "cgroups not writable: " + e.getMessage();
        }
        this.mode = m;
        this.why = reason;
        log.info("resource limits: {}", why);
    }

    public Path root() {
        return root;
    }

    public String parent() {
        return parent;
    }

    public Mode mode() {
        return mode;
    }

    public boolean enforced() {
        return mode != Mode.NONE;
    }

    public String description() {
        return why;
    }

    /**
     * The cgroups of one execution: the cgroup.procs files the program joins, and how the watchdog
     * kills everything in them (v2 {@code cgroup.kill} directories, or a v1 freezer directory).
     */
    public record Placement(List<Path> procs, List<Path> killDirs, Path freezer) {
        static final Placement NONE = new Placement(List.of(), List.of(), null);
    }

    /**
     * Creates the cgroups of one execution with its limits (empty when limits cannot be enforced at
     * all). Fails when a hierarchy exists but the limits cannot be written: a program is never
     * started with fewer limits than the node reports.
     */
    public Placement create(String executionId, int memoryMiB, int vcpus) {
        List<Path> procs = new ArrayList<>();
        List<Path> kill = new ArrayList<>();
        Path freezer = null;
        if (mode == Mode.NONE) return Placement.NONE;
        long bytes = (long) memoryMiB * 1024 * 1024;
        long period = 100_000;
        long quota = period * Math.max(1, vcpus);
        try {
            if (mode == Mode.V2) {
                Path d = root.resolve(parent).resolve(executionId);
                Files.createDirectories(d);
                Files.writeString(d.resolve("memory.max"), Long.toString(bytes));
                if (Files.exists(d.resolve("memory.swap.max"))) Files.writeString(d.resolve("memory.swap.max"), "0");
                Files.writeString(d.resolve("cpu.max"), quota + " " + period);
                Files.writeString(d.resolve("pids.max"), Integer.toString(PIDS_MAX));
                procs.add(d.resolve("cgroup.procs"));
                if (Files.exists(d.resolve("cgroup.kill"))) kill.add(d);
            } else {
                Path mem = root.resolve("memory").resolve(parent).resolve(executionId);
                Files.createDirectories(mem);
                Files.writeString(mem.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                if (Files.exists(mem.resolve("memory.memsw.limit_in_bytes"))) {
                    Files.writeString(mem.resolve("memory.memsw.limit_in_bytes"), Long.toString(bytes));
                }
                procs.add(mem.resolve("cgroup.procs"));
                Path cpu = root.resolve("cpu").resolve(parent).resolve(executionId);
                if (Files.isDirectory(cpu.getParent())) {
                    Files.createDirectories(cpu);
                    Files.writeString(cpu.resolve("cpu.cfs_period_us"), Long.toString(period));
                    Files.writeString(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
                    procs.add(cpu.resolve("cgroup.procs"));
                }
                Path pids = root.resolve("pids").resolve(parent).resolve(executionId);
                if (Files.isDirectory(pids.getParent())) {
                    Files.createDirectories(pids);
                    Files.writeString(pids.resolve("pids.max"), Integer.toString(PIDS_MAX));
                    procs.add(pids.resolve("cgroup.procs"));
                }
                Path frz = root.resolve("freezer").resolve(parent).resolve(executionId);
                if (Files.isDirectory(frz.getParent())) {
                    Files.createDirectories(frz);
                    procs.add(frz.resolve("cgroup.procs"));
                    freezer = frz;
                }
            }
        } catch (IOException e) {
            killAndRemove(executionId);
            throw new org.aleph4j.crn.CrnException(503, "cannot apply the resource limits of this execution: " + e.getMessage(),
                    java.util.Map.of("execution", executionId));
        }
        return new Placement(List.copyOf(procs), List.copyOf(kill), freezer);
    }

    /**
     * Sets the memory and CPU limits of an existing execution's cgroups (a warm slot given its
     * program's resources before the program runs); fails when a limit cannot be written, for example
     * a memory limit below what the slot already uses.
     */
    public void limit(String executionId, int memoryMiB, int vcpus) {
        if (mode == Mode.NONE) return;
        long bytes = (long) memoryMiB * 1024 * 1024;
        long period = 100_000;
        long quota = period * Math.max(1, vcpus);
        try {
            if (mode == Mode.V2) {
                Path d = root.resolve(parent).resolve(executionId);
                Files.writeString(d.resolve("memory.max"), Long.toString(bytes));
                Files.writeString(d.resolve("cpu.max"), quota + " " + period);
            } else {
                Path mem = root.resolve("memory").resolve(parent).resolve(executionId);
                Path memsw = mem.resolve("memory.memsw.limit_in_bytes");
                // memsw may never be below the memory limit: lower memory first, raise memsw first
                long current = Long.parseLong(Files.readString(mem.resolve("memory.limit_in_bytes")).strip());
                if (bytes < current) {
                    Files.writeString(mem.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                    if (Files.exists(memsw)) Files.writeString(memsw, Long.toString(bytes));
                } else {
                    if (Files.exists(memsw)) Files.writeString(memsw, Long.toString(bytes));
                    Files.writeString(mem.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                }
                Path cpu = root.resolve("cpu").resolve(parent).resolve(executionId);
                if (Files.isDirectory(cpu)) Files.writeString(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
            }
        } catch (IOException | NumberFormatException e) {
            throw new org.aleph4j.crn.CrnException(503, "cannot apply the resource limits of this execution: " + e.getMessage(),
                    java.util.Map.of("execution", executionId));
        }
    }

    /** Memory the execution's cgroup uses now, in bytes (0 when unknown). */
    public long memoryBytes(String executionId) {
        Path f = switch (mode) {
            case V2 -> root.resolve(parent).resolve(executionId).resolve("memory.current");
            case V1 -> root.resolve("memory").resolve(parent).resolve(executionId).resolve("memory.usage_in_bytes");
            case NONE -> null;
        };
        try {
            return f == null || !Files.exists(f) ? 0 : Long.parseLong(Files.readString(f).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Whether the execution's memory cgroup recorded an out-of-memory kill. */
    public boolean oomKilled(String executionId) {
        try {
            if (mode == Mode.V2) {
                Path ev = root.resolve(parent).resolve(executionId).resolve("memory.events");
                if (Files.exists(ev)) {
                    for (String l : Files.readAllLines(ev)) {
                        if (l.startsWith("oom_kill ") && !l.endsWith(" 0")) return true;
                    }
                }
            } else if (mode == Mode.V1) {
                Path oc = root.resolve("memory").resolve(parent).resolve(executionId).resolve("memory.oom_control");
                if (Files.exists(oc)) {
                    for (String l : Files.readAllLines(oc)) {
                        if (l.startsWith("oom_kill ") && !l.endsWith(" 0")) return true;
                    }
                }
                Path fc = oc.resolveSibling("memory.failcnt");
                if (Files.exists(fc) && !Files.readString(fc).strip().equals("0")) return true;
            }
        } catch (IOException ignored) {
            // unknown reads as not OOM
        }
        return false;
    }

    private List<Path> dirs(String executionId) {
        return switch (mode) {
            case V2 -> List.of(root.resolve(parent).resolve(executionId));
            case V1 -> List.of(root.resolve("memory").resolve(parent).resolve(executionId),
                    root.resolve("cpu").resolve(parent).resolve(executionId),
                    root.resolve("pids").resolve(parent).resolve(executionId),
                    root.resolve("freezer").resolve(parent).resolve(executionId));
            case NONE -> List.of();
        };
    }

    /** Pids still in the execution's cgroups (a program's descendants that escaped its process group). */
    public java.util.Set<Long> pids(String executionId) {
        java.util.Set<Long> pids = new java.util.TreeSet<>();
        for (Path d : dirs(executionId)) {
            Path procs = d.resolve("cgroup.procs");
            try {
                if (!Files.exists(procs)) continue;
                for (String l : Files.readAllLines(procs)) {
                    if (!l.isBlank()) pids.add(Long.parseLong(l.strip()));
                }
            } catch (IOException | NumberFormatException ignored) {
                // gone meanwhile
            }
        }
        return pids;
    }

    /**
     * SIGKILLs every process left in the execution's cgroups and removes them, retrying briefly
     * while the kernel finishes the kills (bounded to about 2 s).
     */
    public void killAndRemove(String executionId) {
        long end = System.nanoTime() + 2_000_000_000L;
        Path v2 = root.resolve(parent).resolve(executionId);
        Path freezer = root.resolve("freezer").resolve(parent).resolve(executionId);
        while (true) {
            java.util.Set<Long> pids = pids(executionId);
            if (mode == Mode.V2 && Files.exists(v2.resolve("cgroup.kill"))) {
                write(v2.resolve("cgroup.kill"), "1");
            } else if (mode == Mode.V1 && Files.isDirectory(freezer) && !pids.isEmpty()) {
                // frozen, a fork loop cannot make new pids between our read and our kills
                write(freezer.resolve("freezer.state"), "FROZEN");
                for (long pid : pids(executionId)) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                write(freezer.resolve("freezer.state"), "THAWED");
            } else {
                for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            remove(executionId);
            boolean left = dirs(executionId).stream().anyMatch(Files::exists);
            if (!left || System.nanoTime() > end) {
                if (left) log.warn("cgroups of {} could not be removed (processes {} remain)", executionId, pids(executionId));
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
    }

    private static void write(Path file, String value) {
        try {
            Files.writeString(file, value);
        } catch (IOException ignored) {
            // gone meanwhile
        }
    }

    /** Removes the execution's cgroups (they must be empty: the program is dead). */
    public void remove(String executionId) {
        List<Path> dirs = dirs(executionId);
        for (Path d : dirs) {
            try {
                Files.deleteIfExists(d); // rmdir of a cgroup; its control files go with it
            } catch (IOException e) {
                log.debug("cgroup {} not removed: {}", d, e.toString());
            }
        }
    }
}

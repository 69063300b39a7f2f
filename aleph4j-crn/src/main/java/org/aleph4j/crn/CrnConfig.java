package org.aleph4j.crn;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Configuration of a CRN.
 *
 * @param dataDir        code cache, execution directories, logs and pid files live here
 * @param host           address the HTTP server binds (127.0.0.1 by default)
 * @param port           port to bind, 0 for a free one
 * @param publicUrl      URL other nodes reach this one at; null means http://host:port
 * @param ccnUrl         the CCN API the node fetches messages and files from
 * @param domain         host-routing domain: {@code <base32(hash)>.<domain>} reaches a program; also the logs-auth domain
 * @param python         interpreter of the default runtime (needs uvicorn and fastapi for ASGI programs)
 * @param idleTimeout    an on-demand execution without requests for this long is stopped
 * @param prepareTimeout bound on fetching the message and code and unpacking it
 * @param startTimeout   bound on a started program answering on its port
 * @param capacity       what the node offers (reported in /about and heartbeats)
 * @param cgroupParent   name of the cgroup under which executions get their own child cgroup
 * @param executor       {@code auto} (sandbox when the host supports it), {@code process} or {@code sandbox};
 *                       null: the system property {@code aleph4j.crn.executor}, else auto
 * @param allowUnisolated config key {@code allow-unisolated}: whether {@code auto} may fall back to the
 *                       {@code process} executor (no isolation) when the host cannot run the sandbox; without it
 *                       such a node refuses to start. null: the system property {@code aleph4j.crn.allow-unisolated},
 *                       else false
 * @param logMaxBytes    config key {@code log-max-bytes}: size at which an execution's stdout.log or stderr.log is
 *                       rotated to {@code .1} (so a program keeps at most about twice this per stream); 0 or less
 *                       means the default, 8 MiB
 * @param runtimeMap     config keys {@code upstream-runtimes} and {@code runtime-map}: which runtime refs besides
 *                       aleph4j's default runtime this node runs, and on which interpreter; null means
 *                       {@link org.aleph4j.crn.runtime.RuntimeMap#defaults()} (upstream's official runtimes on {@code python})
 * @param warmPool       config key {@code warm-pool}: how many pre-warmed sandboxes wait for on-demand ASGI programs
 *                       (sandbox executor only; see {@link org.aleph4j.crn.execution.WarmPool}); 0 turns the pool off,
 *                       negative means the default, {@value org.aleph4j.crn.execution.WarmPool#DEFAULT_SIZE}
 */
public record CrnConfig(Path dataDir, String host, int port, URI publicUrl, URI ccnUrl, String domain, Path python,
                        Duration idleTimeout, Duration prepareTimeout, Duration startTimeout, Capacity capacity,
                        String cgroupParent, ExecutorKind executor, Boolean allowUnisolated, long logMaxBytes,
                        Guards guards, org.aleph4j.crn.runtime.RuntimeMap runtimeMap, int warmPool) {

    /**
     * What a hostile program is held to beyond its own limits: where programs with internet may
     * go besides the public internet (config keys {@code egress-allow}, {@code egress-deny}: CIDR
     * lists), the size of each execution's /data + /tmp ({@code work-dir-mib}), and the bounds on
     * code archives and caches ({@code max-code-bytes}, {@code max-code-entries}, {@code code-cache-bytes}).
     */
    public record Guards(java.util.List<String> egressAllowed, java.util.List<String> egressDenied, int workDirMiB,
                         org.aleph4j.crn.prepare.PrepareLimits prepare) {
        public static final int DEFAULT_WORK_DIR_MIB = 1024;

        public Guards {
            egressAllowed = egressAllowed == null ? java.util.List.of() : java.util.List.copyOf(egressAllowed);
            egressDenied = egressDenied == null ? java.util.List.of() : java.util.List.copyOf(egressDenied);
            workDirMiB = workDirMiB <= 0 ? DEFAULT_WORK_DIR_MIB : workDirMiB;
            prepare = prepare == null ? org.aleph4j.crn.prepare.PrepareLimits.defaults() : prepare;
            // checked here, so a bad range fails the node's start with its own message
            org.aleph4j.crn.execution.EgressPolicy.of(egressAllowed, egressDenied);
        }

        public static Guards defaults() {
            return new Guards(null, null, 0, null);
        }

        public org.aleph4j.crn.execution.EgressPolicy egress() {
            return org.aleph4j.crn.execution.EgressPolicy.of(egressAllowed, egressDenied);
        }
    }

    /** Which executor runs programs (config key {@code executor} = auto|process|sandbox). */
    public enum ExecutorKind {
        AUTO, PROCESS, SANDBOX;

        /** Parses {@code auto}, {@code process} or {@code sandbox} (case-insensitive); null or blank is auto. */
        public static ExecutorKind parse(String s) {
            if (s == null || s.isBlank()) return AUTO;
            try {
                return valueOf(s.strip().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("executor must be auto, process or sandbox, not " + s);
            }
        }
    }

    /** vCPUs, memory and disk the node offers to programs. */
    public record Capacity(int vcpus, long memoryMiB, long diskMiB) {
        /** What this host has: its processors, physical memory and the free disk of {@code dir}. */
        public static Capacity ofHost(Path dir) {
            long mem = 2048;
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                mem = os.getTotalMemorySize() / (1024 * 1024);
            }
            long disk = 10_240;
            try {
                Path existing = dir;
                while (existing != null && !Files.exists(existing)) existing = existing.getParent();
                if (existing != null) disk = Files.getFileStore(existing).getUsableSpace() / (1024 * 1024);
            } catch (Exception ignored) {
                // keep the default: capacity is advisory
            }
            return new Capacity(Runtime.getRuntime().availableProcessors(), mem, disk);
        }
    }

    public static final String DEFAULT_DOMAIN = "aleph.localhost";
    /** System property giving the executor when the configuration leaves it unset. */
    public static final String EXECUTOR_PROPERTY = "aleph4j.crn.executor";
    /** System property giving {@code allowUnisolated} when the configuration leaves it unset. */
    public static final String ALLOW_UNISOLATED_PROPERTY = "aleph4j.crn.allow-unisolated";
    /** Default {@link #logMaxBytes()}: 8 MiB per log file. */
    public static final long DEFAULT_LOG_MAX_BYTES = 8L * 1024 * 1024;

    public CrnConfig {
        if (dataDir == null) throw new IllegalArgumentException("dataDir is required");
        if (ccnUrl == null) throw new IllegalArgumentException("ccnUrl is required");
        host = host == null ? "127.0.0.1" : host;
        domain = domain == null ? DEFAULT_DOMAIN : domain.toLowerCase(java.util.Locale.ROOT);
        python = python == null ? Path.of("/usr/bin/python3") : python;
        idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
        prepareTimeout = prepareTimeout == null ? Duration.ofSeconds(60) : prepareTimeout;
        startTimeout = startTimeout == null ? Duration.ofSeconds(30) : startTimeout;
        capacity = capacity == null ? Capacity.ofHost(dataDir) : capacity;
        cgroupParent = cgroupParent == null ? "aleph4j" : cgroupParent;
        // unset: the operator's -Daleph4j.crn.executor=auto|process|sandbox, else auto
        executor = executor == null ? ExecutorKind.parse(System.getProperty(EXECUTOR_PROPERTY)) : executor;
        allowUnisolated = allowUnisolated == null ? Boolean.parseBoolean(System.getProperty(ALLOW_UNISOLATED_PROPERTY))
                : allowUnisolated;
        logMaxBytes = logMaxBytes <= 0 ? DEFAULT_LOG_MAX_BYTES : logMaxBytes;
        guards = guards == null ? Guards.defaults() : guards;
        runtimeMap = runtimeMap == null ? org.aleph4j.crn.runtime.RuntimeMap.defaults() : runtimeMap;
        warmPool = warmPool < 0 ? org.aleph4j.crn.execution.WarmPool.DEFAULT_SIZE : warmPool;
    }

    /** A configuration with the default warm pool. */
    public CrnConfig(Path dataDir, String host, int port, URI publicUrl, URI ccnUrl, String domain, Path python,
                     Duration idleTimeout, Duration prepareTimeout, Duration startTimeout, Capacity capacity,
                     String cgroupParent, ExecutorKind executor, Boolean allowUnisolated, long logMaxBytes, Guards guards,
                     org.aleph4j.crn.runtime.RuntimeMap runtimeMap) {
        this(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout, startTimeout, capacity,
                cgroupParent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, -1);
    }

    /** A configuration with the default runtime map (upstream's official runtimes on {@code python}). */
    public CrnConfig(Path dataDir, String host, int port, URI publicUrl, URI ccnUrl, String domain, Path python,
                     Duration idleTimeout, Duration prepareTimeout, Duration startTimeout, Capacity capacity,
                     String cgroupParent, ExecutorKind executor, Boolean allowUnisolated, long logMaxBytes, Guards guards) {
        this(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout, startTimeout, capacity,
                cgroupParent, executor, allowUnisolated, logMaxBytes, guards, null);
    }

    /** A configuration with the default fallback rule (none) and log cap (8 MiB). */
    public CrnConfig(Path dataDir, String host, int port, URI publicUrl, URI ccnUrl, String domain, Path python,
                     Duration idleTimeout, Duration prepareTimeout, Duration startTimeout, Capacity capacity,
                     String cgroupParent, ExecutorKind executor) {
        this(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout, startTimeout, capacity,
                cgroupParent, executor, null, 0, null);
    }

    /** The configuration without an explicit executor ({@code auto}); kept for callers written before executors. */
    public CrnConfig(Path dataDir, String host, int port, URI publicUrl, URI ccnUrl, String domain, Path python,
                     Duration idleTimeout, Duration prepareTimeout, Duration startTimeout, Capacity capacity,
                     String cgroupParent) {
        this(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout, startTimeout, capacity,
                cgroupParent, null);
    }

    /** Laptop defaults: 127.0.0.1 on a free port, domain aleph.localhost, /usr/bin/python3, 60 s idle timeout. */
    public static CrnConfig defaults(Path dataDir, URI ccnUrl) {
        return new CrnConfig(dataDir, "127.0.0.1", 0, null, ccnUrl, DEFAULT_DOMAIN, null, null, null, null, null, null);
    }

    public CrnConfig withPort(int newPort) {
        return new CrnConfig(dataDir, host, newPort, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, cgroupParent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, warmPool);
    }

    public CrnConfig withIdleTimeout(Duration d) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, d, prepareTimeout, startTimeout,
                capacity, cgroupParent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, warmPool);
    }

    public CrnConfig withDomain(String d) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, d, python, idleTimeout, prepareTimeout, startTimeout,
                capacity, cgroupParent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, warmPool);
    }

    public CrnConfig withPublicUrl(URI u) {
        return new CrnConfig(dataDir, host, port, u, ccnUrl, domain, python, idleTimeout, prepareTimeout, startTimeout,
                capacity, cgroupParent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, warmPool);
    }

    /** The executor to use: {@code AUTO}, {@code PROCESS} or {@code SANDBOX}. */
    public CrnConfig withExecutor(ExecutorKind kind) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, cgroupParent, kind, allowUnisolated, logMaxBytes, guards, runtimeMap, warmPool);
    }

    public CrnConfig withCgroupParent(String parent) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, parent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, warmPool);
    }

    /** Whether {@code auto} may fall back to the unisolated {@code process} executor (config key {@code allow-unisolated}). */
    public CrnConfig withAllowUnisolated(boolean allow) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, cgroupParent, executor, allow, logMaxBytes, guards, runtimeMap, warmPool);
    }

    /** The size at which each log file of an execution is rotated (config key {@code log-max-bytes}). */
    public CrnConfig withLogMaxBytes(long bytes) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, cgroupParent, executor, allowUnisolated, bytes, guards, runtimeMap, warmPool);
    }

    public CrnConfig withGuards(Guards g) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, cgroupParent, executor, allowUnisolated, logMaxBytes, g, runtimeMap, warmPool);
    }

    /** Which runtime refs the node runs on which interpreter (config keys {@code upstream-runtimes}, {@code runtime-map}). */
    public CrnConfig withRuntimeMap(org.aleph4j.crn.runtime.RuntimeMap map) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, cgroupParent, executor, allowUnisolated, logMaxBytes, guards, map, warmPool);
    }

    /** How many pre-warmed sandboxes wait for on-demand ASGI programs (config key {@code warm-pool}; 0: off). */
    public CrnConfig withWarmPool(int slots) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, capacity, cgroupParent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, slots);
    }

    /** What the node offers (reported to the scheduler; bounds on-demand admission). */
    public CrnConfig withCapacity(Capacity c) {
        return new CrnConfig(dataDir, host, port, publicUrl, ccnUrl, domain, python, idleTimeout, prepareTimeout,
                startTimeout, c, cgroupParent, executor, allowUnisolated, logMaxBytes, guards, runtimeMap, warmPool);
    }
}

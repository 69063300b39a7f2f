package org.aleph4j.scheduler;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Configuration of a scheduler node.
 *
 * @param dataDir           directory for the SQLite database (when {@code jdbcUrl} is null)
 * @param host              bind address
 * @param port              bind port, 0 = any free port
 * @param ccnUrl            CCN whose message stream is followed (null = follow nothing)
 * @param jdbcUrl           database URL (PostgreSQL for leader/standby pairs), null = SQLite under dataDir
 * @param allowedNodes      node key addresses allowed to heartbeat ({@code "*"} = any)
 * @param leaseTtl          lease a CRN gets per answered heartbeat (default 5 s)
 * @param driftMargin       extra wait before a lapsed lease's program moves (default 2 s)
 * @param heartbeatInterval how often CRNs heartbeat (default 1 s); the leader row is renewed as often
 * @param reconcileInterval how often statuses are re-checked at the CCN (default 5 s)
 * @param requireIsolation  a persistent program is never placed on a node whose executor does not isolate
 *                          programs (e.g. {@code process}); on by default
 * @param keyFile           the key that signs heartbeat answers (created when missing); null =
 *                          {@code dataDir/scheduler.key}. CRNs trust its address ({@code scheduler-addresses})
 * @param console           whether the web console ({@code /console/}, {@code /api/v1/console/*}) is served; on by default
 */
public record SchedulerConfig(Path dataDir, String host, int port, URI ccnUrl, String jdbcUrl, Set<String> allowedNodes,
                              Duration leaseTtl, Duration driftMargin, Duration heartbeatInterval,
                              Duration reconcileInterval, boolean requireIsolation, Path keyFile, boolean console) {
    public SchedulerConfig {
        allowedNodes = allowedNodes == null ? Set.of() : Set.copyOf(allowedNodes);
        host = host == null ? "127.0.0.1" : host;
    }

    /** A configuration that serves the console. */
    public SchedulerConfig(Path dataDir, String host, int port, URI ccnUrl, String jdbcUrl, Set<String> allowedNodes,
                           Duration leaseTtl, Duration driftMargin, Duration heartbeatInterval, Duration reconcileInterval,
                           boolean requireIsolation, Path keyFile) {
        this(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeatInterval, reconcileInterval,
                requireIsolation, keyFile, true);
    }

    /** A configuration whose key is {@code dataDir/scheduler.key}. */
    public SchedulerConfig(Path dataDir, String host, int port, URI ccnUrl, String jdbcUrl, Set<String> allowedNodes,
                           Duration leaseTtl, Duration driftMargin, Duration heartbeatInterval, Duration reconcileInterval,
                           boolean requireIsolation) {
        this(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeatInterval, reconcileInterval,
                requireIsolation, null);
    }

    /** The key file in use: {@link #keyFile} or {@code dataDir/scheduler.key}. */
    public Path signingKeyFile() {
        return keyFile != null ? keyFile : dataDir.resolve("scheduler.key");
    }

    /** A configuration that requires isolation (the default). */
    public SchedulerConfig(Path dataDir, String host, int port, URI ccnUrl, String jdbcUrl, Set<String> allowedNodes,
                           Duration leaseTtl, Duration driftMargin, Duration heartbeatInterval, Duration reconcileInterval) {
        this(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeatInterval, reconcileInterval,
                true);
    }

    /** Laptop defaults: 127.0.0.1, free port, SQLite, no allowed nodes yet, 5 s lease, 2 s drift, 1 s heartbeat, isolation required. */
    public static SchedulerConfig defaults(Path dataDir, URI ccnUrl) {
        return new SchedulerConfig(dataDir, "127.0.0.1", 0, ccnUrl, null, Set.of(), Duration.ofSeconds(5),
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(5));
    }

    public SchedulerConfig withAllowedNodes(Set<String> nodes) {
        return new SchedulerConfig(dataDir, host, port, ccnUrl, jdbcUrl, nodes, leaseTtl, driftMargin, heartbeatInterval,
                reconcileInterval, requireIsolation, keyFile, console);
    }

    public SchedulerConfig withPort(int p) {
        return new SchedulerConfig(dataDir, host, p, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeatInterval,
                reconcileInterval, requireIsolation, keyFile, console);
    }

    public SchedulerConfig withJdbcUrl(String url) {
        return new SchedulerConfig(dataDir, host, port, ccnUrl, url, allowedNodes, leaseTtl, driftMargin, heartbeatInterval,
                reconcileInterval, requireIsolation, keyFile, console);
    }

    public SchedulerConfig withLease(Duration ttl, Duration drift) {
        return new SchedulerConfig(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, ttl, drift, heartbeatInterval,
                reconcileInterval, requireIsolation, keyFile, console);
    }

    public SchedulerConfig withIntervals(Duration heartbeat, Duration reconcile) {
        return new SchedulerConfig(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeat,
                reconcile, requireIsolation, keyFile, console);
    }

    /** The key that signs heartbeat answers (created when missing). */
    public SchedulerConfig withKeyFile(Path file) {
        return new SchedulerConfig(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeatInterval,
                reconcileInterval, requireIsolation, file, console);
    }

    /** Whether persistent programs may only go to nodes whose executor isolates them. */
    public SchedulerConfig withRequireIsolation(boolean require) {
        return new SchedulerConfig(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeatInterval,
                reconcileInterval, require, keyFile, console);
    }

    /** Whether the web console is served ({@code --no-console} turns it off). */
    public SchedulerConfig withConsole(boolean on) {
        return new SchedulerConfig(dataDir, host, port, ccnUrl, jdbcUrl, allowedNodes, leaseTtl, driftMargin, heartbeatInterval,
                reconcileInterval, requireIsolation, keyFile, on);
    }
}

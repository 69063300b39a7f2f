package org.aleph4j.node;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.security.SecureRandom;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.files.S3Location;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.lease.LeaseDecisions;
import org.aleph4j.crn.prepare.PrepareLimits;
import org.aleph4j.crn.volumes.S3Config;
import org.aleph4j.message.EthAccount;
import org.aleph4j.scheduler.SchedulerConfig;

/** Turns resolved {@link Settings} into each role's configuration; defaults serve a laptop. */
public final class Roles {
    public static final int CCN_PORT = 4024;
    public static final int SCHEDULER_PORT = 4030;
    public static final int CRN_PORT = 4041;
    public static final URI DEFAULT_CCN_URL = URI.create("http://127.0.0.1:" + CCN_PORT);

    private Roles() {}

    public static CcnConfig ccn(Settings s, Path defaultData) {
        CcnConfig c = CcnConfig.defaults(s.path("data", defaultData))
                .withHost(s.string("host", "127.0.0.1"))
                .withPort(s.integer("port", CCN_PORT))
                .withJdbcUrl(s.string("db", null))
                .withOracleAddresses(s.set("oracle-addresses"));
        String pricingOwner = s.string("pricing-owner", null);
        if (pricingOwner != null) c = c.withPricingOwner(pricingOwner);
        long maxFile = s.integer("max-file-mib", 100) * CcnConfig.MIB;
        CcnLimits d = CcnLimits.defaults();
        CcnLimits limits = d.withMaxPageSize(s.integer("max-page-size", d.maxPageSize()))
                .withMaxStreamHistory(s.integer("max-stream-history", d.maxStreamHistory()))
                .withSubscribers(s.integer("max-subscribers", d.maxSubscribers()),
                        s.integer("max-subscribers-per-address", d.maxSubscribersPerAddress()))
                .withAnonymousUploads(s.integer("anonymous-uploads-per-minute", d.anonymousUploadsPerMinute()),
                        s.bytes("max-anonymous-store-bytes", d.maxAnonymousStoreBytes()))
                .withMaxJsonBytes(s.bytes("max-json-bytes", d.maxJsonBytes()));
        return c.withFileLimits(maxFile, Math.min(maxFile, 25 * CcnConfig.MIB)).withLimits(limits).withFileStore(fileStore(s));
    }

    /**
     * Where a CCN keeps its files: {@code file-store} {@code local} (the data directory, the default: null) or
     * {@code s3://<bucket>/<prefix>?endpoint=...&region=...}, signed with {@code file-store-access-key} and
     * {@code file-store-secret-key} when set (else the AWS SDK's default chain), each call bounded by
     * {@code file-store-timeout} (default 10s).
     *
     * @throws IllegalArgumentException with a one-line message (never holding a key) for a bad value
     */
    public static S3Location fileStore(Settings s) {
        return S3Location.parse(s.string("file-store", "local"), s.string("file-store-access-key", null),
                s.string("file-store-secret-key", null), s.duration("file-store-timeout", S3Location.DEFAULT_TIMEOUT));
    }

    /**
     * Lease timing shared by the scheduler and its CRNs, chosen with {@code profile}: {@code defaults}
     * (heartbeat 1 s, lease 5 s, drift margin 2 s) or {@code fast} (250 ms, 1.5 s, 0.5 s: failover in
     * about 3 s, for nodes on a quiet local network). {@code heartbeat}, {@code lease-ttl} and
     * {@code drift-margin} override either.
     */
    public record LeaseTiming(Duration heartbeat, Duration leaseTtl, Duration driftMargin) {
        public static LeaseTiming of(Settings s) {
            LeaseTiming p = switch (s.string("profile", "defaults")) {
                case "defaults" -> new LeaseTiming(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(2));
                case "fast" -> new LeaseTiming(Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofMillis(500));
                default -> throw new IllegalArgumentException("setting profile must be defaults or fast, got '"
                        + s.string("profile", "") + "'");
            };
            return new LeaseTiming(s.duration("heartbeat", p.heartbeat()), s.duration("lease-ttl", p.leaseTtl()),
                    s.duration("drift-margin", p.driftMargin()));
        }
    }

    public static SchedulerConfig scheduler(Settings s, Path defaultData) {
        SchedulerConfig d = SchedulerConfig.defaults(s.path("data", defaultData), s.uri("ccn-url", DEFAULT_CCN_URL));
        LeaseTiming t = LeaseTiming.of(s);
        return new SchedulerConfig(d.dataDir(), s.string("host", d.host()), s.integer("port", SCHEDULER_PORT), d.ccnUrl(),
                s.string("db", null), s.set("allowed-nodes"), t.leaseTtl(),
                t.driftMargin(), t.heartbeat(),
                s.duration("reconcile-interval", d.reconcileInterval()), s.bool("require-isolation", true),
                s.path("key-file", null)).withConsole(s.bool("console", true));
    }

    /**
     * Whose heartbeat answers a CRN believes: {@code scheduler-addresses} (required with a scheduler)
     * and {@code max-lease} (default 10 s, at most 60 s).
     */
    public static LeaseDecisions.Trust schedulerTrust(Settings s) {
        var addresses = s.set("scheduler-addresses");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("setting scheduler-addresses is required with scheduler-url: the address of "
                    + "the scheduler's key, printed by `aleph-node scheduler` at start and served at <scheduler-url>/api/v1/about");
        }
        return new LeaseDecisions.Trust(addresses, s.duration("max-lease", LeaseDecisions.DEFAULT_MAX_LEASE));
    }

    public static CrnConfig crn(Settings s, Path defaultData) {
        Path data = s.path("data", defaultData);
        CrnConfig d = CrnConfig.defaults(data, s.uri("ccn-url", DEFAULT_CCN_URL));
        return new CrnConfig(data, s.string("host", d.host()), s.integer("port", CRN_PORT), s.uri("public-url", null),
                d.ccnUrl(), s.string("domain", d.domain()), s.path("python", d.python()),
                s.duration("idle-timeout", d.idleTimeout()), s.duration("prepare-timeout", d.prepareTimeout()),
                s.duration("start-timeout", d.startTimeout()), d.capacity(), s.string("cgroup-parent", d.cgroupParent()),
                CrnConfig.ExecutorKind.parse(s.string("executor", null)), s.bool("allow-unisolated", false),
                s.bytes("log-max-bytes", CrnConfig.DEFAULT_LOG_MAX_BYTES), crnGuards(s), crnRuntimes(s))
                .withWarmPool(warmPool(s));
    }

    /** {@code warm-pool}: pre-warmed sandboxes for on-demand ASGI programs (default 2 on sandbox nodes, 0: off, at most 64). */
    static int warmPool(Settings s) {
        int n = s.integer("warm-pool", -1);
        if (s.string("warm-pool", null) != null && (n < 0 || n > 64)) {
            throw new IllegalArgumentException("setting warm-pool must be between 0 (off) and 64, got " + n);
        }
        return n;
    }

    /**
     * {@code upstream-runtimes} (default true: upstream's official runtime refs run on the node's python)
     * and {@code runtime-map} (comma-separated {@code <ref>=<python path>} or {@code <ref>=off}).
     */
    static org.aleph4j.crn.runtime.RuntimeMap crnRuntimes(Settings s) {
        return org.aleph4j.crn.runtime.RuntimeMap.parse(s.bool("upstream-runtimes", true), s.set("runtime-map"));
    }

    private static CrnConfig.Guards crnGuards(Settings s) {
        PrepareLimits dp = PrepareLimits.defaults();
        long cache = s.bytes("code-cache-bytes", dp.maxCodeCacheBytes());
        PrepareLimits prepare = dp.withMaxUnpackedBytes(s.bytes("max-code-bytes", dp.maxUnpackedBytes()))
                .withMaxEntries(s.integer("max-code-entries", dp.maxEntries())).withCacheBytes(cache, cache);
        return new CrnConfig.Guards(List.copyOf(s.set("egress-allow")), List.copyOf(s.set("egress-deny")),
                s.integer("work-dir-mib", CrnConfig.Guards.DEFAULT_WORK_DIR_MIB), prepare);
    }

    /**
     * Where a CRN keeps the snapshots of persistent volumes: {@code snapshot-store} {@code ccn} (the
     * default, null) or {@code s3://<bucket>/<prefix>?endpoint=...&region=...}, signed with
     * {@code snapshot-store-access-key} and {@code snapshot-store-secret-key} when set.
     *
     * @throws IllegalArgumentException with a one-line message (never holding a key) for a bad value
     */
    public static S3Config snapshotStore(Settings s) {
        return S3Config.parse(s.string("snapshot-store", "ccn"), s.string("snapshot-store-access-key", null),
                s.string("snapshot-store-secret-key", null));
    }

    /** The node key at {@code file}, created (0600) on first use. */
    public static EthAccount nodeKey(Path file) throws IOException {
        if (Files.exists(file)) return KeyFiles.read(file);
        EthAccount key = EthAccount.generate(new SecureRandom());
        KeyFiles.write(file, key, false);
        return key;
    }
}

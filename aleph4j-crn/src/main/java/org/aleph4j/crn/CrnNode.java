package org.aleph4j.crn;

import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.aleph4j.client.CcnClient;
import org.aleph4j.crn.api.NodeApi;
import org.aleph4j.crn.api.OwnerAuth;
import org.aleph4j.crn.api.SelfCheck;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.ExecutionSupervisor;
import org.aleph4j.crn.execution.Executor;
import org.aleph4j.crn.execution.ProcessExecutor;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.crn.execution.BootClock;
import org.aleph4j.crn.gateway.Gateway;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.crn.lease.LeaseDecisions;
import org.aleph4j.crn.lease.LeaseKeeper;
import org.aleph4j.crn.volumes.CcnSnapshotStore;
import org.aleph4j.crn.volumes.NodeVolumes;
import org.aleph4j.crn.volumes.S3Config;
import org.aleph4j.crn.volumes.S3SnapshotStore;
import org.aleph4j.crn.volumes.SchedulerNetwork;
import org.aleph4j.crn.volumes.SnapshotStore;
import org.aleph4j.crn.lease.SchedulerLeaseDirectory;
import org.aleph4j.message.EthAccount;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.crn.logs.ProgramLogs;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.crn.watch.NetworkWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires a CRN by hand: CCN client, preparer, executor, supervisor, gateway, node API and stream watcher. */
public final class CrnNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CrnNode.class);
    /** vCPUs are shares of CPU time (cgroup cpu.max): on-demand admission lets them be sold this many times over; memory never. */
    static final int VCPU_OVERCOMMIT = 4;
    /** How often persistent volumes of persistent programs are snapshotted by default: what a crash can lose. */
    public static final java.time.Duration DEFAULT_SNAPSHOT_INTERVAL = java.time.Duration.ofSeconds(2);
    private final CrnConfig config;
    private final LeaseDirectory directory;
    private final Leasing leasing;
    private LeaseKeeper keeper;

    /**
     * How this CRN holds leases of persistent programs: the schedulers (a leader and its standbys,
     * tried in order) it heartbeats every {@code heartbeat}, signed with {@code nodeKey}, and reports
     * {@code version} to; {@code trust} names the scheduler keys whose answers it believes and the
     * longest lease it honours; persistent volumes are snapshotted every {@code snapshotInterval} into
     * {@code snapshotStore}'s bucket, or the CCN's file store when it is null.
     */
    public record Leasing(List<URI> schedulerUrls, EthAccount nodeKey, java.time.Duration heartbeat, String version,
                          LeaseDecisions.Trust trust, java.time.Duration snapshotInterval, S3Config snapshotStore) {
        public Leasing {
            schedulerUrls = List.copyOf(schedulerUrls);
            if (schedulerUrls.isEmpty()) throw new IllegalArgumentException("at least one scheduler URL");
            if (trust == null) throw new IllegalArgumentException("a leasing CRN must say which scheduler keys it trusts");
            snapshotInterval = snapshotInterval == null ? DEFAULT_SNAPSHOT_INTERVAL : snapshotInterval;
            if (snapshotInterval.toMillis() < 100 || snapshotInterval.toHours() > 24) {
                throw new IllegalArgumentException("snapshot-interval must be between 100ms and 24h, not " + snapshotInterval);
            }
        }

        /** Snapshots in the CCN's file store. */
        public Leasing(List<URI> schedulerUrls, EthAccount nodeKey, java.time.Duration heartbeat, String version,
                       LeaseDecisions.Trust trust, java.time.Duration snapshotInterval) {
            this(schedulerUrls, nodeKey, heartbeat, version, trust, snapshotInterval, null);
        }

        /** With the default snapshot interval. */
        public Leasing(List<URI> schedulerUrls, EthAccount nodeKey, java.time.Duration heartbeat, String version,
                       LeaseDecisions.Trust trust) {
            this(schedulerUrls, nodeKey, heartbeat, version, trust, DEFAULT_SNAPSHOT_INTERVAL);
        }

        SchedulerClient client() {
            return new SchedulerClient(schedulerUrls, java.time.Duration.ofSeconds(5), InstantSource.system());
        }
    }

    /**
     * A CRN that heartbeats {@code leasing}'s scheduler and runs the persistent programs it is
     * allocated (on-demand programs too); closing it drains: persistent programs are stopped and
     * released so the scheduler moves them at once.
     */
    public CrnNode(CrnConfig config, Leasing leasing) {
        this(config, new SchedulerLeaseDirectory(leasing.client()), SandboxExecutor::probe, leasing);
    }
    private final CcnClient ccn;
    private final Preparer preparer;
    private final ExecutionSupervisor supervisor;
    /** Every execution's guest API (upstream's /properties, /cache, CCN proxy) on its own Unix socket. */
    private final org.aleph4j.crn.guest.GuestApis guestApis;
    private final Cgroups cgroups;
    private final Executor executor;
    private final ProgramLogs logs;
    private final RuntimeRegistry runtimes;
    private final NodeVolumes volumes;
    /** The S3 snapshot store, when snapshots go to a bucket (closed last). */
    private S3SnapshotStore s3Store;
    private Gateway gateway;
    private Javalin app;
    private NetworkWatcher watcher;
    private volatile int port = -1;

    public CrnNode(CrnConfig config, LeaseDirectory directory) {
        this(config, directory, SandboxExecutor::probe);
    }

    /**
     * With the host probe given: tests pass one that reports the sandbox unavailable, to see what a
     * host without it does.
     *
     * @throws IllegalStateException with a one-line message when the configured executor cannot run here
     */
    CrnNode(CrnConfig config, LeaseDirectory directory, Function<Cgroups, SandboxExecutor.Support> probe) {
        this(config, directory, probe, null);
    }

    private CrnNode(CrnConfig config, LeaseDirectory directory, Function<Cgroups, SandboxExecutor.Support> probe, Leasing leasing) {
        this.leasing = leasing;
        this.config = config;
        this.directory = directory == null ? LeaseDirectory.NONE : directory;
        try {
            Files.createDirectories(config.dataDir());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // the executor first: a node that refuses to start has opened nothing yet
        this.cgroups = new Cgroups(Path.of("/sys/fs/cgroup"), config.cgroupParent());
        this.executor = chooseExecutor(config, cgroups, probe);
        // every CCN call (message, query, download headers, stream connect) is bounded by prepareTimeout
        this.ccn = new CcnClient(config.ccnUrl(), config.prepareTimeout());
        // aleph4j's runtime and upstream's official ones (config runtime-map), looked up only: no runtime file is fetched
        this.runtimes = RuntimeRegistry.of(config.runtimeMap(), config.python());
        // unpacking gets half of the preparation's bound, so its own clear error comes before the 504
        this.preparer = new Preparer(ccn, runtimes, config.dataDir(), config.prepareTimeout().dividedBy(2), config.guards().prepare());
        this.logs = new ProgramLogs(config.dataDir());
        this.volumes = new NodeVolumes(config.dataDir(), preparer.immutableVolumes(), executor.mountsVolumes(),
                leasing == null ? null : volumeNetwork(leasing), leasing == null ? DEFAULT_SNAPSHOT_INTERVAL : leasing.snapshotInterval());
        this.supervisor = new ExecutionSupervisor(
                new ExecutionSupervisor.Settings(config.idleTimeout(), config.prepareTimeout(), config.startTimeout(),
                        config.capacity().vcpus() * VCPU_OVERCOMMIT, config.capacity().memoryMiB(),
                        config.guards().workDirMiB()),
                preparer, executor, logs, config.dataDir(), InstantSource.system(), BootClock.TICKER, volumes);
        this.guestApis = new org.aleph4j.crn.guest.GuestApis(config.ccnUrl(), org.aleph4j.crn.guest.GuestApis.Settings.DEFAULT,
                InstantSource.system());
        supervisor.useGuestApis(guestApis);
    }

    /**
     * Persistent volumes follow their program through the schedulers (plans, reports) and the snapshot
     * store: the CCN's file store, or the S3 bucket {@link Leasing#snapshotStore()} names.
     */
    private NodeVolumes.Network volumeNetwork(Leasing leasing) {
        try {
            Path spool = config.dataDir().resolve("volumes-spool");
            SnapshotStore store;
            if (leasing.snapshotStore() == null) {
                store = new CcnSnapshotStore(ccn, leasing.nodeKey(), spool);
            } else {
                s3Store = new S3SnapshotStore(leasing.snapshotStore(), spool, config.prepareTimeout());
                store = s3Store;
                log.info("snapshot store: {}", leasing.snapshotStore());
            }
            return new SchedulerNetwork(leasing.client(), leasing.nodeKey(), leasing.trust().schedulers(), store);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What this node can mount (reported in /about). */
    public java.util.Map<String, Object> volumes() {
        return volumes.describe();
    }

    private static Executor chooseExecutor(CrnConfig config, Cgroups cgroups, Function<Cgroups, SandboxExecutor.Support> probe) {
        SandboxExecutor.Support support = config.executor() == CrnConfig.ExecutorKind.PROCESS ? null : probe.apply(cgroups);
        ExecutorChoice.Decision decision = ExecutorChoice.decide(config.executor(),
                support == null ? null : new ExecutorChoice.SandboxSupport(support.usable(), support.reason()),
                config.allowUnisolated());
        ProcessExecutor process = new ProcessExecutor(config.python(), config.dataDir().resolve("run"), cgroups, config.logMaxBytes());
        return switch (decision) {
            case ExecutorChoice.UseSandbox s -> {
                log.info("executor: sandbox ({})", s.reason());
                yield new SandboxExecutor(process, support, config.dataDir(), config.guards().egress());
            }
            case ExecutorChoice.UseProcess p when p.fallbackReason() == null -> {
                log.warn("executor: process, chosen explicitly: programs run WITHOUT isolation");
                yield process;
            }
            case ExecutorChoice.UseProcess p -> {
                log.warn("executor: process, because {} and allow-unisolated is set: programs run WITHOUT isolation",
                        p.fallbackReason());
                yield process;
            }
            case ExecutorChoice.Refuse r -> throw new IllegalStateException(r.error());
        };
    }

    /**
     * What executor a CRN with {@code config} would choose on this host, without starting one (the
     * devnet uses it to know whether its scheduler must accept unisolated nodes).
     */
    public static ExecutorChoice.Decision decideExecutor(CrnConfig config) {
        if (config.executor() == CrnConfig.ExecutorKind.PROCESS) {
            return ExecutorChoice.decide(config.executor(), null, config.allowUnisolated());
        }
        SandboxExecutor.Support s = SandboxExecutor.probe(new Cgroups(Path.of("/sys/fs/cgroup"), config.cgroupParent()));
        return ExecutorChoice.decide(config.executor(), new ExecutorChoice.SandboxSupport(s.usable(), s.reason()),
                config.allowUnisolated());
    }

    /** The executor programs run in: {@code process} or {@code sandbox}. */
    public String executorName() {
        return executor.name();
    }

    /** Whether this node's executor isolates programs (reported in /about and heartbeats). */
    public boolean executorIsolates() {
        return ExecutorChoice.isolates(executor.name());
    }

    /** Kills leftovers of a previous run, binds the HTTP server and subscribes to the CCN stream. */
    public CrnNode start() {
        int killed = supervisor.killLeftovers();
        if (killed > 0) log.info("killed {} leftover program(s) of a previous run", killed);
        if (supervisor.startWarmPool(config.python(), config.warmPool()) != null) {
            log.info("warm pool: {} pre-warmed sandbox(es) for on-demand ASGI programs", config.warmPool());
        }
        String serverHeader = "aleph4j-crn/" + NodeApi.VERSION;
        gateway = new Gateway(supervisor, preparer, directory, config.domain(), this::url, serverHeader);
        Set<String> domains = java.util.concurrent.ConcurrentHashMap.newKeySet();
        domains.add(config.domain());
        NodeApi api = new NodeApi(config, supervisor, preparer, logs, runtimes, executor,
                new SelfCheck(executor, config.dataDir(), config.python()), new OwnerAuth(domains, InstantSource.system()),
                InstantSource.system());
        app = Javalin.create(cfg -> {
            cfg.concurrency.useVirtualThreads = true;
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.host = config.host();
            cfg.jetty.port = config.port();
            cfg.http.compressionStrategy = CompressionStrategy.NONE;
            cfg.http.maxRequestSize = Long.MAX_VALUE;
            // program requests are routed and proxied by the gateway, in front of Javalin's servlet stack
            cfg.jetty.modifyServer(server -> server.setHandler(gateway));
            cfg.routes.before(ctx -> ctx.header("Server", serverHeader));
            api.register(cfg.routes);
        });
        app.start();
        port = app.port();
        // the public URL is known only now when the port was 0; add its host as a logs-auth domain
        domains.add(url().getHost());
        domains.add(url().getAuthority());
        watcher = new NetworkWatcher(ccn, supervisor, preparer, InstantSource.system());
        log.info("CRN listening on {} (CCN {}, domain {})", url(), config.ccnUrl(), config.domain());
        if (leasing != null) {
            CrnConfig.Capacity c = config.capacity();
            Capacity capacity = new Capacity(c.vcpus(), c.memoryMiB(), c.diskMiB());
            ExecutorInfo info = new ExecutorInfo(executorName(), executorIsolates(), volumes.available());
            keeper = new LeaseKeeper(leasing.client(), supervisor, leasing.nodeKey(), url(),
                    () -> new LeaseKeeper.Offer(capacity, supportedRuntimes(), leasing.version(), info), leasing.heartbeat(),
                    // the fence's clock, shared with the watchdogs (its 10 ms steps are far inside the scheduler's drift margin)
                    BootClock::nanos, leasing.trust()).start();
        }
        return this;
    }

    /** Whether this node holds leases from a scheduler (persistent programs). */
    public boolean leased() {
        return keeper != null;
    }

    public int port() {
        return port;
    }

    public URI url() {
        if (config.publicUrl() != null) return config.publicUrl();
        return URI.create("http://" + config.host() + ":" + port);
    }

    /** Runtime refs this node can run (reported to the scheduler so programs are only placed where they can run). */
    public java.util.List<String> supportedRuntimes() {
        return runtimes.all().stream().map(org.aleph4j.crn.runtime.LocalRuntime::ref).toList();
    }

    public PersistentHost persistentHost() {
        return supervisor;
    }

    public CrnConfig config() {
        return config;
    }

    /** Feeds one stream frame as if it came from the CCN (used by other feeds and tests). */
    public void onStreamFrame(com.fasterxml.jackson.databind.JsonNode frame) {
        if (watcher != null) watcher.onFrame(frame);
    }

    @Override
    public void close() {
        try {
            // hand persistent programs back at once rather than letting their leases lapse
            if (keeper != null) keeper.drain();
        } catch (RuntimeException e) {
            log.warn("draining the lease keeper failed: {}", e.toString());
        }
        if (watcher != null) watcher.close();
        if (app != null) app.stop();
        supervisor.close();
        guestApis.close();
        volumes.close();
        if (s3Store != null) s3Store.close();
        executor.close();
        // HttpClient.close() waits for every in-flight exchange (e.g. a stream still being torn down): bounded
        Thread closer = Thread.ofVirtual().start(ccn::close);
        try {
            if (!closer.join(java.time.Duration.ofSeconds(5))) log.warn("CCN client did not close within 5 s; leaving it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

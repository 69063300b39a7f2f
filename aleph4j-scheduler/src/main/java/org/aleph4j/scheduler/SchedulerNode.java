package org.aleph4j.scheduler;

import io.javalin.Javalin;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Ticker;
import org.aleph4j.scheduler.api.HeartbeatSessions;
import org.aleph4j.scheduler.api.RequestAuthenticator;
import org.aleph4j.scheduler.api.SchedulerApi;
import org.aleph4j.scheduler.console.Console;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.lease.LeasePolicy;
import org.aleph4j.scheduler.leader.LeaderElection;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.aleph4j.scheduler.watch.ProgramWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler role, wired by hand: signing key, database, lease engine, leader election, CCN
 * follower and HTTP API. Start with {@link #start()}, stop with {@link #close()} (which hands
 * leadership over at once). The election runs on its own thread and its own database connections, so
 * a placement cycle stuck on the database does not keep the leader from renewing its row.
 */
public final class SchedulerNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SchedulerNode.class);
    /** Requests whose time is further than this from the scheduler's clock are refused. */
    static final Duration MAX_SKEW = Duration.ofSeconds(30);
    private static final long TICK_MS = 100;

    private final SchedulerConfig config;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final String id = UUID.randomUUID().toString();
    private SchedulerStore store;
    private AllocationEngine engine;
    private LeaderElection election;
    private ProgramWatcher watcher;
    private CcnClient ccn;
    private Javalin http;
    private Console console;
    private ScheduledExecutorService loops;
    private ScheduledExecutorService electionLoop;
    private EthAccount key;
    private boolean closed;

    public SchedulerNode(SchedulerConfig config) {
        this(config, Ticker.system(), InstantSource.system());
    }

    /** With injected clocks (tests). */
    public SchedulerNode(SchedulerConfig config, Ticker ticker, InstantSource wallClock) {
        this.config = config;
        this.ticker = ticker;
        this.wallClock = wallClock;
    }

    public synchronized SchedulerNode start() {
        if (http != null) return this;
        try {
            if (config.jdbcUrl() == null) Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data dir " + config.dataDir(), e);
        }
        key = signingKey(config.signingKeyFile());
        store = SchedulerStore.open(config.jdbcUrl(), config.dataDir());
        LeasePolicy policy = new LeasePolicy(config.leaseTtl(), config.driftMargin());
        engine = new AllocationEngine(store, policy, config.heartbeatInterval(), ticker, wallClock,
                () -> election != null && election.valid(), () -> election == null ? null : election.leaderUrl(),
                key.address(), config.requireIsolation());
        RequestAuthenticator auth = new RequestAuthenticator(config.allowedNodes(), SignatureVerifier.best(), wallClock,
                ticker, MAX_SKEW);
        SchedulerApi api = new SchedulerApi(store, engine, auth, wallClock, key, () -> election == null ? null : election.leaderUrl(),
                ticker, new HeartbeatSessions(HeartbeatSessions.LIFETIME, HeartbeatSessions.MAX_SESSIONS));
        if (config.console()) {
            console = new Console(store, engine, config.ccnUrl(), wallClock);
            api.withRoutes(console::routes);
        } else {
            api.withRoutes(Console::notFoundRoutes);
        }
        http = api.create(config.host(), config.port());
        http.start();
        if (config.ccnUrl() != null) {
            ccn = new CcnClient(config.ccnUrl(), Duration.ofSeconds(10));
            watcher = new ProgramWatcher(ccn, engine, store);
        }
        // The leader row lives as long as a lease, renewed every heartbeat interval; the margin makes a
        // frozen leader stop granting well before a standby's wall clock says the row expired.
        Duration leaderTtl = config.leaseTtl();
        Duration margin = Duration.ofMillis(Math.min(config.leaseTtl().toMillis() / 2,
                Math.max(1000, config.heartbeatInterval().toMillis())));
        election = new LeaderElection(store, id, url().toString(), leaderTtl, margin, ticker,
                new LeaderElection.Listener() {
                    @Override
                    public void leading(long incarnation) {
                        engine.becomeLeader(incarnation);
                        if (watcher != null) watcher.start();
                    }

                    @Override
                    public void standby() {
                        engine.stopLeading();
                        if (watcher != null) watcher.close();
                    }
                });
        loops = Executors.newScheduledThreadPool(2, Thread.ofPlatform().daemon().name("scheduler-loop-", 0).factory());
        electionLoop = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("scheduler-election").factory());
        election.round();
        tick(); // a leader adopts the stored allocations before it answers its first heartbeat
        electionLoop.scheduleWithFixedDelay(this::electionRound, config.heartbeatInterval().toMillis(),
                config.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
        loops.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        // Reconcile on its own thread: a slow CCN must not delay lease expiry and placement.
        loops.scheduleWithFixedDelay(this::reconcile, config.reconcileInterval().toMillis(),
                config.reconcileInterval().toMillis(), TimeUnit.MILLISECONDS);
        log.info("scheduler {} listening on {} ({}, {}), signing as {} (key {})", id, url(),
                config.jdbcUrl() == null ? "SQLite" : "JDBC",
                election.isLeader() ? "leader, incarnation " + election.incarnation() : "standby", address(),
                config.signingKeyFile());
        if (!config.requireIsolation()) {
            log.warn("require-isolation is off: persistent programs may be placed on nodes that run them without isolation");
        }
        return this;
    }

    private void electionRound() {
        try {
            election.round();
        } catch (RuntimeException e) {
            log.warn("leader election round failed: {}", e.toString());
        }
    }

    private void tick() {
        try {
            if (!election.isLeader()) return;
            engine.tick();
        } catch (RuntimeException e) {
            log.warn("scheduler tick failed: {}", e.toString());
        }
    }

    private void reconcile() {
        try {
            if (watcher != null && election.isLeader()) watcher.reconcile();
        } catch (RuntimeException e) {
            log.warn("reconcile failed: {}", e.toString());
        }
    }

    public int port() {
        return http.port();
    }

    public URI url() {
        return URI.create("http://" + config.host() + ":" + port());
    }

    public boolean isLeader() {
        return election != null && election.valid();
    }

    /** The address of the key that signs heartbeat answers: what CRNs list in {@code scheduler-addresses}. */
    public String address() {
        return key.address();
    }

    /** The incarnation this scheduler leads, once it adopted the stored allocations (0 before it ever led). */
    public long incarnation() {
        return engine.incarnation();
    }

    /** The signing key at {@code file}, created (0600) when missing. */
    static EthAccount signingKey(Path file) {
        try {
            if (Files.exists(file)) return KeyFiles.read(file);
            EthAccount created = EthAccount.generate(new SecureRandom());
            KeyFiles.write(file, created, false);
            log.info("created the scheduler's signing key {} ({})", file, created.address());
            return created;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the scheduler key " + file + ": " + e.getMessage(), e);
        }
    }

    /** The engine (benchmarks seed programs through it, as the CCN watcher does). */
    public AllocationEngine engine() {
        return engine;
    }

    public SchedulerConfig config() {
        return config;
    }

    /**
     * Stops like a crash: no resignation, the leader row is left to expire, so a standby takes over
     * only after the leader lease runs out. For fault tests; {@link #close()} is the clean path.
     */
    public synchronized void halt() {
        shutdown(false);
    }

    @Override
    public synchronized void close() {
        shutdown(true);
    }

    private void shutdown(boolean handOver) {
        if (closed) return;
        closed = true;
        // Stop granting first, then stop answering, then the loops; resign last so no loop re-takes the row.
        if (engine != null) engine.stopLeading();
        long t0 = System.nanoTime();
        if (console != null) console.close(); // its event streams end, so the server stops at once
        if (http != null) http.stop();
        if (electionLoop != null) electionLoop.shutdownNow();
        if (loops != null) {
            loops.shutdownNow();
            try {
                if (electionLoop != null) electionLoop.awaitTermination(5, TimeUnit.SECONDS);
                if (!loops.awaitTermination(5, TimeUnit.SECONDS)) {
                    Thread.getAllStackTraces().forEach((t, st) -> {
                        if (t.getName().startsWith("scheduler-loop")) log.warn("stuck {}: {}", t.getName(), java.util.Arrays.toString(st));
                    });
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (watcher != null) {
            // The CCN client's stream close can take seconds to join its worker; the engine no longer
            // leads, so late callbacks change nothing that matters. Bound the wait.
            Thread closing = Thread.ofVirtual().start(watcher::close);
            try {
                closing.join(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (engine != null && handOver) {
            try {
                engine.flushDeferred(); // node rows and history lines the last heartbeats queued
            } catch (RuntimeException e) {
                log.warn("could not write the last heartbeats' rows: {}", e.toString());
            }
        }
        if (election != null && handOver) election.resign();
        if (ccn != null) ccn.close();
        if (store != null) store.close();
        http = null;
        log.info("scheduler {} stopped in {} ms", id, (System.nanoTime() - t0) / 1_000_000);
    }
}

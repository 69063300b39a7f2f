package org.aleph4j.crn.lease;

import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The CRN's side of the lease protocol (ARCHITECTURE §5). Every {@code heartbeatInterval} it sends a
 * signed heartbeat, noting on its monotonic clock when it SENT it; for each program in the answer it
 * starts or renews the execution with {@code lease − (now − sendTime)} left, and it stops what is no
 * longer allocated. When heartbeats fail it does nothing: each execution's out-of-JVM watchdog kills
 * the program when its fence passes (self-fencing). Epochs older than one already seen for a program
 * are ignored. An answer is used only when {@link LeaseDecisions#judge} accepts it: signed by a trusted
 * scheduler key, echoing this heartbeat's nonce, from an incarnation no older than the newest seen,
 * granting no more than the cap. Each heartbeat names that newest incarnation; a signed refusal naming
 * a newer one is followed at once by one more heartbeat. One thread does all of this, so answers are
 * applied in order.
 */
public final class LeaseKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    /**
     * What the node offers, read before every heartbeat: capacity, runtimes, version, and the executor
     * (name and whether it isolates programs, so a scheduler requiring isolation keeps unisolated nodes
     * out of placement).
     */
    public record Offer(Capacity capacity, List<String> runtimes, String version, ExecutorInfo executor) {
        public Offer {
            runtimes = List.copyOf(runtimes);
            if (executor == null) throw new IllegalArgumentException("the offer must say which executor runs programs");
        }
    }

    private final SchedulerClient client;
    private final PersistentHost host;
    private final EthAccount nodeKey;
    private final URI publicUrl;
    private final Supplier<Offer> offer;
    private final Duration interval;
    private final Ticker ticker;
    private final LeaseDecisions.Trust trust;
    private final Map<String, Long> highestEpoch = new ConcurrentHashMap<>();
    /** Programs this keeper started, with the epoch they run under. Touched by the keeper thread only (and drain after it stopped). */
    private final Map<String, Long> held = new HashMap<>();
    /** Programs being handed over at their owner's request (each once at a time). */
    private final Set<String> handingOver = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private volatile Thread loop;
    private volatile boolean draining;
    private volatile long lastAnsweredSendNanos = Long.MIN_VALUE;
    private int failuresInARow;
    private int ignoredInARow;
    /** The newest scheduler incarnation seen (keeper thread only). */
    private volatile long incarnation;

    /**
     * @param trust the scheduler keys whose answers this node believes, and the longest lease it honours
     */
    public LeaseKeeper(SchedulerClient client, PersistentHost host, EthAccount nodeKey, URI publicUrl, Supplier<Offer> offer,
                       Duration heartbeatInterval, Ticker ticker, LeaseDecisions.Trust trust) {
        this.trust = trust;
        this.client = client;
        this.host = host;
        this.nodeKey = nodeKey;
        this.publicUrl = publicUrl;
        this.offer = offer;
        this.interval = heartbeatInterval;
        this.ticker = ticker;
    }

    /** Starts heartbeating on a virtual thread. */
    public synchronized LeaseKeeper start() {
        if (loop != null) return this;
        loop = Thread.ofVirtual().name("lease-keeper").start(this::run);
        log.info("lease keeper for node {} heartbeating {} every {} ms, trusting scheduler key(s) {}, leases up to {} ms",
                nodeKey.address(), client.baseUrls(), interval.toMillis(), trust.schedulers(), trust.maxLease().toMillis());
        return this;
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted() && !draining) {
            long started = ticker.nanos();
            beat();
            long elapsed = ticker.nanos() - started;
            long wait = interval.toNanos() - elapsed;
            if (wait > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(wait)); // the heartbeat period
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * One heartbeat and the application of its answer (plus one more heartbeat at once when a trusted
     * scheduler says it leads a newer incarnation); public so tests and tools can drive it.
     */
    public void beat() {
        synchronized (lock) {
            for (int attempt = 0; attempt < 2 && !draining; attempt++) {
                long sent = ticker.nanos();
                HeartbeatAnswer answer;
                try {
                    Offer o = offer.get();
                    List<ExecutionReport> executions = host.persistentExecutions().stream()
                            .map(e -> new ExecutionReport(e.itemHash(), e.epoch(), e.state(), e.restarts(), e.lastError()))
                            .toList();
                    answer = client.heartbeat(nodeKey, publicUrl, o.capacity(), o.runtimes(), executions, o.version(),
                            o.executor(), incarnation);
                } catch (RuntimeException e) {
                    // Nothing else to do: without renewals the watchdogs kill the programs at their fence.
                    if (failuresInARow++ % 10 == 0) log.warn("heartbeat failed ({} in a row): {}", failuresInARow, e.getMessage());
                    return;
                }
                if (failuresInARow > 0) log.info("heartbeat answered again after {} failures", failuresInARow);
                failuresInARow = 0;
                LeaseDecisions.Verdict verdict = LeaseDecisions.judge(answer, trust, incarnation, sent, ticker.nanos(), held,
                        running(), highestEpoch);
                switch (verdict) {
                    case LeaseDecisions.Ignored i -> {
                        // Like a failed heartbeat: nothing is started, renewed or stopped; the watchdogs fence.
                        if (ignoredInARow++ % 10 == 0) {
                            log.warn("ignoring the scheduler's answer ({} in a row): {}", ignoredInARow, i.why());
                        }
                        return;
                    }
                    case LeaseDecisions.RetryWith r -> {
                        log.info("scheduler {} leads incarnation {} (was {}): heartbeating again", answer.signer(),
                                r.incarnation(), incarnation);
                        incarnation = r.incarnation();
                    }
                    case LeaseDecisions.Apply a -> {
                        if (ignoredInARow > 0) log.info("scheduler answers accepted again after {} ignored", ignoredInARow);
                        ignoredInARow = 0;
                        if (a.incarnation() != incarnation) {
                            log.info("scheduler incarnation {} (was {})", a.incarnation(), incarnation);
                        }
                        incarnation = a.incarnation();
                        lastAnsweredSendNanos = sent;
                        apply(a.plan());
                        if (answer instanceof HeartbeatAnswer.Granted g) handOverAsked(g.reply().allocations());
                        return;
                    }
                }
            }
        }
    }

    /** Grants marked {@code drain} (the owner asked to migrate): each is handed over once, on its own thread. */
    private void handOverAsked(List<LeaseGrant> grants) {
        for (LeaseGrant g : grants) {
            Long heldEpoch = held.get(g.itemHash());
            if (!g.drain() || heldEpoch == null || heldEpoch != g.epoch() || !handingOver.add(g.itemHash())) continue;
            Thread.ofVirtual().name("hand-over-" + g.itemHash().substring(0, 8)).start(() -> {
                try {
                    handOver(g.itemHash(), g.epoch(), "migrating at its owner's request");
                } finally {
                    handingOver.remove(g.itemHash());
                }
            });
        }
    }

    /**
     * Stops a program, has its final snapshots taken while the lease holds (heartbeats go on), then
     * releases it so the scheduler places it at once. A release that keeps failing leaves the program
     * to come back here with the next grant rather than be held stopped.
     */
    private void handOver(String itemHash, long epoch, String reason) {
        try {
            host.drain(itemHash, epoch);
        } catch (RuntimeException e) {
            log.warn("could not hand {} over cleanly: {}", itemHash, e.toString());
        }
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                client.release(nodeKey, itemHash, epoch, reason);
                log.info("released {} (epoch {}): {}", itemHash, epoch, reason);
                return;
            } catch (RuntimeException e) {
                log.warn("could not release {} (attempt {}): {}", itemHash, attempt, e.getMessage());
            }
        }
        host.stop(itemHash, "release failed");
    }

    private Set<String> running() {
        Set<String> running = new HashSet<>();
        for (PersistentHost.PersistentStatus s : host.persistentExecutions()) {
            if (!"STOPPED".equals(s.state()) && !"FAILED".equals(s.state())) running.add(s.itemHash() + "/" + s.epoch());
        }
        return running;
    }

    private void apply(LeaseDecisions.Plan plan) {
        highestEpoch.putAll(plan.highestEpochs());
        for (LeaseDecisions.Decision d : plan.decisions()) {
            try {
                switch (d) {
                    case LeaseDecisions.Renew r -> host.renewLease(r.itemHash(), r.epoch(), r.remaining());
                    case LeaseDecisions.Start s -> {
                        Long heldEpoch = held.get(s.itemHash());
                        if (heldEpoch == null || heldEpoch != s.epoch()) {
                            log.info("allocated {} with epoch {} (lease {} ms left)", s.itemHash(), s.epoch(), s.remaining().toMillis());
                        }
                        host.ensureRunning(s.itemHash(), s.epoch(), s.remaining());
                        held.put(s.itemHash(), s.epoch());
                    }
                    case LeaseDecisions.Stop s -> {
                        held.remove(s.itemHash());
                        log.info("{} is no longer allocated to this node: stopping it", s.itemHash());
                        host.stop(s.itemHash(), "no longer allocated to this node");
                    }
                    case LeaseDecisions.Ignore i -> log.warn("ignoring allocation of {} (epoch {}): {}", i.itemHash(), i.epoch(), i.why());
                }
            } catch (RuntimeException e) {
                log.warn("could not apply {} to {}: {}", d.getClass().getSimpleName(), d.itemHash(), e.toString());
            }
        }
    }

    /** The newest scheduler incarnation this node has seen (0: none yet). */
    public long incarnation() {
        return incarnation;
    }

    /** Programs this node currently runs under a lease, with their epochs. */
    public Map<String, Long> held() {
        synchronized (lock) {
            return Map.copyOf(held);
        }
    }

    /** Monotonic send time of the last heartbeat that was answered, or {@code Long.MIN_VALUE}. */
    public long lastAnsweredSendNanos() {
        return lastAnsweredSendNanos;
    }

    /**
     * Graceful exit: starts nothing new, hands every held program over (stopped, final snapshots of its
     * volumes taken while heartbeats keep its lease, all programs at once), then stops heartbeating and
     * releases each so the scheduler places it elsewhere at once. Releases that fail leave the program
     * to lapse normally.
     */
    public void drain() {
        host.refuseNewPrograms();
        Map<String, Long> toRelease = held();
        List<Thread> handOvers = new java.util.ArrayList<>();
        toRelease.forEach((item, epoch) -> handOvers.add(Thread.ofVirtual().start(() -> {
            try {
                host.drain(item, epoch);
            } catch (RuntimeException e) {
                log.warn("could not stop {} while draining: {}", item, e.toString());
            }
        })));
        for (Thread t : handOvers) {
            try {
                t.join(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        draining = true;
        stopLoop();
        synchronized (lock) {
            held.clear();
        }
        toRelease.forEach((item, epoch) -> {
            try {
                host.stop(item, "node draining");
            } catch (RuntimeException e) {
                log.warn("could not stop {} while draining: {}", item, e.toString());
            }
            try {
                client.release(nodeKey, item, epoch, "node draining");
                log.info("released {} (epoch {})", item, epoch);
            } catch (RuntimeException e) {
                log.warn("could not release {}: {} (it will lapse)", item, e.getMessage());
            }
        });
    }

    private void stopLoop() {
        Thread t;
        synchronized (this) {
            t = loop;
            loop = null;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(interval.toMillis() + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops heartbeating; running programs are left to their watchdogs (or to the CRN's own shutdown). */
    @Override
    public void close() {
        stopLoop();
    }
}

package org.aleph4j.ccn.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.aleph4j.ccn.files.FileStore;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.ccn.stream.MessageStream;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shell around {@link MessageHandlers}: takes validated messages in as pending rows, and one worker thread
 * processes due pending rows in order (one transaction each), retries missing dependencies with back-off,
 * wakes waiting messages when what they need arrives, completes synchronous submitters and publishes on the
 * stream. A single worker keeps balance and forget decisions free of races. After each commit it reads back the
 * changes numbered since the last ones it published and publishes them in sequence order, so subscribers see
 * changes in the order they committed.
 */
public final class PipelineWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PipelineWorker.class);
    public static final int MAX_RETRIES = 10;
    private static final double MAX_BACKOFF_S = 60;
    private static final double FILE_GRACE_S = 24 * 3600;

    private final Database db;
    private final MessageStore store;
    private final MessageHandlers handlers;
    private final FileStore files;
    private final MessageStream stream;
    private final InstantSource clock;
    private final Map<String, CompletableFuture<String>> waiters = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private boolean signalled;
    private volatile boolean running;
    private Thread worker;
    private final Counter accepted;
    private final MeterRegistry meters;
    private double lastGc;
    private final MessageIntake intake;
    /** Rows inserted since the worker last refreshed the planner statistics (PostgreSQL only). */
    private final java.util.concurrent.atomic.AtomicLong insertedSinceAnalyze = new java.util.concurrent.atomic.AtomicLong();
    private double lastAnalyze;
    /** The sequence of the last change published on the stream (or skipped while nobody listened). */
    private long lastPublished;
    private static final int PUBLISH_PAGE = 500;
    /** A backlog of this many new rows makes stale planner statistics costly enough to refresh them. */
    static final int ANALYZE_AFTER_ROWS = 2_000;
    private static final double ANALYZE_MIN_INTERVAL_S = 5;

    /** Result of a submission: the message status, and for rejected ones the error. */
    public record Result(String status, Integer errorCode, String error, String details) {}

    public PipelineWorker(Database db, MessageStore store, MessageHandlers handlers, FileStore files, MessageStream stream,
                     InstantSource clock, MeterRegistry meters) {
        this.db = db;
        this.store = store;
        this.handlers = handlers;
        this.files = files;
        this.stream = stream;
        this.clock = clock;
        this.meters = meters;
        this.accepted = meters.counter("ccn_messages_received_total");
        this.intake = new MessageIntake(db, store, n -> {
            insertedSinceAnalyze.addAndGet(n);
            signal();
        });
    }

    private double now() {
        return clock.millis() / 1000.0;
    }

    public void start() {
        lastPublished = db.jdbi().withHandle(store::sequenceHead);
        running = true;
        intake.start();
        worker = Thread.ofPlatform().name("ccn-processor").daemon(true).start(this::loop);
    }

    /** Wakes the worker. */
    public void signal() {
        lock.lock();
        try {
            signalled = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Enters a validated message as pending (a duplicate keeps its current status) and, when {@code wait} is
     * positive, waits up to that long for its first processing decision.
     */
    public Result submit(AlephMessage m, Duration wait) {
        CompletableFuture<String> done = wait.isZero() ? null : waiters.computeIfAbsent(m.itemHash(), k -> new CompletableFuture<>());
        boolean inserted = intake.insert(new MessageStore.NewMessage(m.itemHash(),
                m.type().name(), m.chain().value(), m.sender(), m.channel(), m.itemType().value(),
                Json.write(m.forSubmission()), m.time(), now()));
        if (inserted) {
            accepted.increment();
            signal();
            // A fresh message is pending by definition: no read back for callers that do not wait.
            if (done == null) return new Result(MessageStatus.PENDING.value(), null, null, null);
        }
        if (done != null) {
            Optional<MessageRow> current = find(m.itemHash());
            if (current.isPresent() && !MessageStatus.PENDING.is(current.get().status())) {
                waiters.remove(m.itemHash(), done);
            } else {
                if (!inserted) signal();
                try {
                    awaitProcessed(m.itemHash(), done, wait);
                } finally {
                    waiters.remove(m.itemHash(), done);
                }
            }
        }
        MessageRow row = find(m.itemHash()).orElseThrow();
        return new Result(row.status(), row.errorCode(), null, row.details());
    }

    /**
     * Waits up to {@code wait} for the message to leave pending: woken by this node's worker, and checking the
     * database every {@link #PEER_POLL_MS} ms, since a CCN replica on the same database may process it instead.
     * Still pending after the bounded wait: the caller answers 202.
     */
    private void awaitProcessed(String hash, CompletableFuture<String> done, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) return;
            try {
                done.get(Math.min(left, PEER_POLL_MS), TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                Optional<MessageRow> now = find(hash);
                if (now.isPresent() && !MessageStatus.PENDING.is(now.get().status())) return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                return;
            }
        }
    }

    private static final long PEER_POLL_MS = 250;

    public Optional<MessageRow> find(String hash) {
        return db.jdbi().withHandle(h -> store.find(h, hash));
    }

    /** Records a file that arrived (with a grace period until a STORE pins it) and wakes messages waiting for it. */
    public void fileArrived(String hash, long size) {
        db.write(h -> {
            store.upsertFile(h, hash, size, now(), now() + FILE_GRACE_S);
            return store.wake(h, List.of(hash));
        });
        signal();
    }

    private void loop() {
        while (running) {
            try {
                List<MessageRow> due = db.jdbi().withHandle(h -> store.duePending(h, now(), DUE_PAGE));
                if (due.size() == DUE_PAGE) refreshStatisticsIfBacklogGrew();
                for (int i = 0; i < due.size() && running; i += BATCH) {
                    processBatch(due.subList(i, Math.min(due.size(), i + BATCH)));
                }
                if (now() - lastGc > 60) collectGarbage();
                if (due.isEmpty()) idle();
            } catch (RuntimeException e) {
                log.error("processing loop error; retrying in 1 s", e);
                idleFor(1000);
            }
        }
    }

    private static final int DUE_PAGE = 256;

    /**
     * On PostgreSQL, runs ANALYZE when a backlog built up from many new rows since the last one: statistics
     * taken while few rows were pending make the planner pick plans whose cost grows with the backlog
     * (see {@link MessageStore#refreshStatistics}). SQLite plans do not depend on such statistics here.
     */
    private void refreshStatisticsIfBacklogGrew() {
        if (db.dialect() != Database.Dialect.POSTGRESQL) return;
        if (insertedSinceAnalyze.get() < ANALYZE_AFTER_ROWS || now() - lastAnalyze < ANALYZE_MIN_INTERVAL_S) return;
        long t0 = System.nanoTime();
        insertedSinceAnalyze.set(0);
        lastAnalyze = now();
        try {
            db.jdbi().useHandle(store::refreshStatistics);
            log.debug("refreshed planner statistics of messages in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (RuntimeException e) {
            log.warn("ANALYZE messages failed: {}", e.toString());
        }
    }

    private void idle() {
        double next = db.jdbi().withHandle(h -> store.nextPendingAttempt(h)).orElse(Double.MAX_VALUE);
        long ms = (long) Math.min(1000, Math.max(1, (next - now()) * 1000));
        idleFor(ms);
    }

    private void idleFor(long ms) {
        lock.lock();
        try {
            if (!signalled) work.await(ms, TimeUnit.MILLISECONDS);
            signalled = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    private static final int BATCH = 64;

    private record Done(MessageRow row, Outcome outcome, Effects fx) {}

    /** Processes several messages in one transaction; when that fails, one by one so one bad row cannot block others. */
    private void processBatch(List<MessageRow> rows) {
        double now = now();
        List<Done> done;
        try {
            done = db.write(h -> {
                List<Done> out = new ArrayList<>(rows.size());
                for (MessageRow row : rows) {
                    Effects fx = new Effects();
                    out.add(new Done(row, decide(h, row, now, fx), fx));
                }
                return out;
            });
        } catch (RuntimeException e) {
            log.debug("batch of {} failed ({}); processing one by one", rows.size(), e.toString());
            for (MessageRow row : rows) processOne(row);
            return;
        }
        Set<String> processed = new HashSet<>();
        for (Done d : done) if (d.outcome() instanceof Outcome.Processed) processed.add(d.row().itemHash());
        publishChanges(processed);
        for (Done d : done) afterCommit(d.row(), d.outcome(), d.fx());
    }

    /**
     * Publishes the changes committed since the last call, in sequence order. {@code processed} names the messages
     * processed by those commits: their frames carry no status (upstream's shape of a new message); every other
     * change carries its new status. A failed read leaves the changes for the next call.
     */
    private void publishChanges(Set<String> processed) {
        try {
            if (!stream.hasSubscribers()) {
                // a subscriber arriving from now on reads these changes as its history
                lastPublished = db.jdbi().withHandle(store::sequenceHead);
                return;
            }
            while (true) {
                List<MessageRow> rows = db.jdbi().withHandle(h -> store.changesAfter(h, lastPublished, PUBLISH_PAGE));
                for (MessageRow r : rows) {
                    boolean fresh = MessageStatus.PROCESSED.is(r.status()) && processed.contains(r.itemHash());
                    stream.publish(r, fresh ? null : r.status());
                    lastPublished = r.sequence();
                }
                if (rows.size() < PUBLISH_PAGE) return;
            }
        } catch (RuntimeException e) {
            log.warn("could not read back changes after sequence {} for the stream: {}", lastPublished, e.toString());
        }
    }

    private Outcome decide(org.jdbi.v3.core.Handle h, MessageRow row, double now, Effects fx) {
        Outcome o = handlers.process(h, row, now, fx);
        switch (o) {
            case Outcome.Processed p -> {
                store.markProcessed(h, row.itemHash(), p.fields(), now);
                List<String> keys = new ArrayList<>(fx.wakeKeys);
                keys.add(row.itemHash());
                store.wake(h, keys);
            }
            case Outcome.Rejected r -> store.markRejected(h, row.itemHash(), r.code().code(),
                    errorJson(r.reason(), r.details()), null, now);
            case Outcome.Retry r -> {
                int retries = row.retries() + 1;
                if (retries > MAX_RETRIES) {
                    store.markRejected(h, row.itemHash(), r.code().code(), errorJson(r.reason(), Map.of()), null, now);
                } else {
                    double backoff = Math.min(Math.pow(2, retries), MAX_BACKOFF_S);
                    store.markRetry(h, row.itemHash(), retries, now + backoff, r.waitingFor(), r.code().code(),
                            errorJson(r.reason(), Map.of()));
                }
            }
        }
        return o;
    }

    private void processOne(MessageRow row) {
        Effects fx = new Effects();
        double now = now();
        Outcome outcome;
        try {
            outcome = db.write(h -> decide(h, row, now, fx));
        } catch (RuntimeException e) {
            // A database hiccup: keep the message pending and try again later rather than lose or reject it.
            log.warn("processing {} failed; will retry: {}", row.itemHash(), e.toString());
            db.write(h -> {
                store.markRetry(h, row.itemHash(), row.retries() + 1, now + 1, null,
                        ErrorCode.INTERNAL_ERROR.code(), errorJson(e.toString(), Map.of()));
                return null;
            });
            complete(row.itemHash());
            return;
        }
        publishChanges(outcome instanceof Outcome.Processed ? Set.of(row.itemHash()) : Set.of());
        afterCommit(row, outcome, fx);
    }

    private void afterCommit(MessageRow row, Outcome outcome, Effects fx) {
        for (String f : fx.filesToDelete) {
            try {
                if (db.jdbi().withHandle(h -> store.fileStillPinned(h, f))) continue;
                files.delete(f);
                db.write(h -> {
                    store.deleteFile(h, f);
                    return null;
                });
            } catch (IOException | RuntimeException e) {
                // the object store may be down: the file stays, unreferenced, and costs only space
                log.warn("could not delete forgotten file {}: {}", f, e.toString());
            }
        }
        String label = switch (outcome) {
            case Outcome.Processed p -> MessageStatus.PROCESSED.value();
            case Outcome.Rejected r -> MessageStatus.REJECTED.value();
            case Outcome.Retry r -> MessageStatus.PENDING.value();
        };
        meters.counter("ccn_messages_processed_total", "outcome", label).increment();
        if (outcome instanceof Outcome.Rejected r) log.info("rejected {} ({} {}): {}", row.itemHash(), row.type(), r.code().code(), r.reason());
        if (outcome instanceof Outcome.Retry r) log.debug("pending {} ({}): {}", row.itemHash(), r.code().code(), r.reason());
        complete(row.itemHash());
    }

    private void complete(String hash) {
        CompletableFuture<String> f = waiters.remove(hash);
        if (f != null) f.complete(hash);
    }

    /** Deletes unpinned files whose grace period ended. */
    private void collectGarbage() {
        lastGc = now();
        try {
            for (String hash : db.jdbi().withHandle(h -> store.expiredFiles(h, now()))) {
                if (db.jdbi().withHandle(h -> store.fileStillPinned(h, hash))) {
                    db.write(h -> {
                        store.pinFile(h, hash);
                        return null;
                    });
                    continue;
                }
                files.delete(hash);
                db.write(h -> {
                    store.deleteFile(h, hash);
                    return null;
                });
                log.info("deleted unpinned file {} after its grace period", hash);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("file garbage collection failed: {}", e.toString());
        }
    }

    static String errorJson(String reason, Map<String, Object> details) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(details);
        if (reason != null) m.putIfAbsent("message", reason);
        return Json.write(m);
    }

    @Override
    public void close() {
        running = false;
        intake.stop();
        signal();
        if (worker != null) {
            try {
                worker.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package org.aleph4j.ccn.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of incoming messages: concurrent submitters queue their rows and one thread inserts
 * everything queued in a single transaction, so the database sees one write per batch, not per request.
 */
final class MessageIntake {
    private static final Logger log = LoggerFactory.getLogger(MessageIntake.class);

    private record Item(MessageStore.NewMessage row, CompletableFuture<Boolean> done) {}

    private final Database db;
    private final MessageStore store;
    /** Told how many new rows each committed batch inserted (duplicates excluded). */
    private final LongConsumer inserted;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private volatile boolean running;
    private Thread thread;

    MessageIntake(Database db, MessageStore store, LongConsumer inserted) {
        this.db = db;
        this.store = store;
        this.inserted = inserted;
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().name("ccn-intake").daemon(true).start(this::loop);
    }

    /** Queues {@code row} and waits for its batch: true when it was new, false for a duplicate. */
    boolean insert(MessageStore.NewMessage row) {
        Item item = new Item(row, new CompletableFuture<>());
        queue.add(item);
        try {
            return item.done().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while storing a message", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not store the message: " + e.getMessage(), e);
        }
    }

    private void loop() {
        List<Item> batch = new ArrayList<>();
        while (running) {
            try {
                Item first = queue.poll(500, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.add(first);
                queue.drainTo(batch, 999);
                List<Boolean> results = db.write(h -> {
                    List<Boolean> r = new ArrayList<>(batch.size());
                    for (Item i : batch) r.add(store.insertPending(h, i.row()));
                    return r;
                });
                for (int i = 0; i < batch.size(); i++) batch.get(i).done().complete(results.get(i));
                inserted.accept(results.stream().filter(b -> b).count());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("storing {} incoming messages failed: {}", batch.size(), e.toString());
                for (Item i : batch) i.done().completeExceptionally(e);
            } finally {
                batch.clear();
            }
        }
    }

    void stop() {
        running = false;
        if (thread != null) thread.interrupt();
    }
}

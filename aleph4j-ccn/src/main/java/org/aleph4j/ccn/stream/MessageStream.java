package org.aleph4j.ccn.stream;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.aleph4j.ccn.storage.MessageFilter;
import org.aleph4j.ccn.storage.MessageRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans processed messages and status changes out to subscribers. A subscriber first catches up from the
 * database while live events are buffered; buffered events already sent as history are dropped, so a client
 * reconnecting with {@code startDate} sees every message once. Each subscriber has its own queue and sender
 * thread, so a slow client never slows processing; one that falls too far behind is closed.
 */
public final class MessageStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MessageStream.class);
    private static final int MAX_QUEUE = 20_000;

    /** Where frames go (a websocket session). */
    public interface Sink {
        void send(String text) throws Exception;

        void close(int code, String reason);
    }

    private record Event(MessageRow row, String status) {}

    /** One subscriber. */
    public final class Subscription implements AutoCloseable {
        private final MessageFilter filter;
        private final Sink sink;
        private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>(MAX_QUEUE);
        private final List<Event> buffered = new ArrayList<>();
        // Hashes sent as history whose live event may still be on its way: a message committed before the
        // history query can be published after the subscriber went live. Only recent ones can race.
        private final Set<String> recentHistory = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private boolean live;
        private volatile boolean closed;
        private final Thread sender;

        private Subscription(MessageFilter filter, Sink sink) {
            this.filter = filter;
            this.sink = sink;
            this.sender = Thread.ofVirtual().name("ccn-ws-sender").start(this::drain);
        }

        private void drain() {
            try {
                while (!closed) {
                    String frame = queue.poll(1, TimeUnit.SECONDS);
                    if (frame != null) sink.send(frame);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.debug("stream subscriber gone: {}", e.toString());
            } finally {
                close();
            }
        }

        private void enqueue(String frame) {
            if (closed) return;
            if (!queue.offer(frame)) {
                log.warn("stream subscriber fell {} frames behind; closing it", MAX_QUEUE);
                sink.close(1013, "Too far behind, reconnect with startDate");
                close();
            }
        }

        private void offer(Event e) {
            if (!filter.matches(e.row())) return;
            synchronized (this) {
                if (!live) {
                    buffered.add(e);
                    return;
                }
                // checked under the lock: live is set only after recentHistory is complete
                if (e.status() == null && !recentHistory.isEmpty() && recentHistory.remove(e.row().itemHash())) return;
            }
            enqueue(MessageJson.frame(e.row(), e.status()));
        }

        /** Sends history, then the events buffered meanwhile (minus those history already had), then goes live. */
        public void catchUp(List<MessageRow> history) {
            Set<String> sent = new HashSet<>();
            double recent = System.currentTimeMillis() / 1000.0 - 60;
            for (MessageRow r : history) {
                enqueue(MessageJson.frame(r, null));
                sent.add(r.itemHash());
                if (r.processedAt() != null && r.processedAt() > recent) recentHistory.add(r.itemHash());
            }
            synchronized (this) {
                for (Event e : buffered) {
                    if (e.status() == null && sent.contains(e.row().itemHash())) continue;
                    enqueue(MessageJson.frame(e.row(), e.status()));
                }
                buffered.clear();
                live = true;
            }
        }

        public MessageFilter filter() {
            return filter;
        }

        @Override
        public void close() {
            closed = true;
            subscribers.remove(this);
            sender.interrupt();
        }
    }

    private final CopyOnWriteArrayList<Subscription> subscribers = new CopyOnWriteArrayList<>();

    /** Registers a subscriber in catch-up mode; call {@link Subscription#catchUp} with its history next. */
    public Subscription subscribe(MessageFilter filter, Sink sink) {
        Subscription s = new Subscription(filter, sink);
        subscribers.add(s);
        return s;
    }

    public boolean hasSubscribers() {
        return !subscribers.isEmpty();
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    /** Announces a newly processed message ({@code status == null}) or a status change. */
    public void publish(MessageRow row, String status) {
        Event e = new Event(row, status);
        for (Subscription s : subscribers) s.offer(e);
    }

    @Override
    public void close() {
        for (Subscription s : subscribers) {
            s.sink.close(1001, "CCN shutting down");
            s.close();
        }
    }
}

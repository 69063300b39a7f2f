package org.aleph4j.ccn.stream;

import java.time.InstantSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.aleph4j.ccn.storage.MessageFilter;
import org.aleph4j.ccn.storage.MessageRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans processed messages and status changes out to subscribers. A subscriber is registered first, so live
 * events queue up while its sender thread replays history from the database page by page (at most
 * {@link Limits#maxHistory} messages, never all at once); live events that history already had are dropped,
 * so a client reconnecting with {@code startDate} sees every message once. Each subscriber has its own bounded
 * queue (frames and characters) and sender thread, so a slow client never slows processing: one whose queue
 * is full is disconnected with a close reason. Subscribers are capped in total and per remote address.
 */
public final class MessageStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MessageStream.class);
    /** Websocket close code TRY_AGAIN_LATER, as upstream uses at capacity. */
    public static final int TRY_AGAIN_LATER = 1013;
    static final int HISTORY_PAGE = 100;
    /** Live events of messages processed this recently may race with the history query and are deduplicated. */
    private static final double RECENT_S = 60;

    /**
     * @param maxSubscribers   subscribers at once
     * @param maxPerAddress    subscribers at once under one address key
     * @param maxHistory       messages one subscriber may replay
     * @param queueFrames      frames waiting per subscriber
     * @param queueChars       characters of frames waiting per subscriber
     */
    public record Limits(int maxSubscribers, int maxPerAddress, int maxHistory, int queueFrames, long queueChars) {}

    /** Where frames go (a websocket session). */
    public interface Sink {
        void send(String text) throws Exception;

        void close(int code, String reason);
    }

    /** Past messages for a new subscriber, oldest first: up to {@code limit} strictly after {@code after} (null: the first page). */
    public interface History {
        List<MessageRow> page(MessageRow after, int limit);
    }

    /** The stream is at capacity, in total or for that address. */
    public static final class RefusedException extends Exception {
        RefusedException(String reason) {
            super(reason);
        }
    }

    /** An event shared by every subscriber; its frame is rendered once, on the publishing thread. */
    private static final class Event {
        final MessageRow row;
        final String status;
        private String frame;

        Event(MessageRow row, String status) {
            this.row = row;
            this.status = status;
        }

        String frame() {
            if (frame == null) frame = MessageJson.frame(row, status);
            return frame;
        }
    }

    private record Queued(String itemHash, String status, String frame) {}

    /** One subscriber. */
    public final class Subscription implements AutoCloseable {
        private final MessageFilter filter;
        private final Sink sink;
        private final String addressKey;
        private final History history;
        private final LinkedBlockingQueue<Queued> queue;
        private final AtomicLong queuedChars = new AtomicLong();
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile Thread sender;

        private Subscription(MessageFilter filter, String addressKey, Sink sink, History history) {
            this.filter = filter;
            this.sink = sink;
            this.addressKey = addressKey;
            this.history = history;
            this.queue = new LinkedBlockingQueue<>(limits.queueFrames());
        }

        private void start() {
            sender = Thread.ofVirtual().name("ccn-ws-sender").start(this::run);
        }

        private void run() {
            try {
                Set<String> recent = catchUp();
                while (recent != null && !closed.get()) {
                    Queued q = queue.poll(1, TimeUnit.SECONDS);
                    if (q == null) continue;
                    queuedChars.addAndGet(-q.frame().length());
                    if (q.status() == null && !recent.isEmpty() && recent.remove(q.itemHash())) continue;
                    sink.send(q.frame());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // usually the client went away; otherwise (a failed history read) tell it before dropping it
                log.debug("stream subscriber gone: {}", e.toString());
                if (!closed.get()) sink.close(1011, "stream failed; reconnect with startDate");
            } finally {
                close();
            }
        }

        /**
         * Replays history page by page, straight to the sink, so a slow client slows only its own replay. Returns
         * the hashes of recently processed messages sent (their live events may still be queued), or null when the
         * replay hit {@link Limits#maxHistory} and the subscriber was closed with a resume point.
         */
        private Set<String> catchUp() throws Exception {
            Set<String> recent = new HashSet<>();
            double recentSince = clock.millis() / 1000.0 - RECENT_S;
            MessageRow last = null;
            int sent = 0;
            while (!closed.get()) {
                int want = Math.min(HISTORY_PAGE, limits.maxHistory() - sent + 1);
                List<MessageRow> page = history.page(last, want);
                for (MessageRow r : page) {
                    if (closed.get()) return null;
                    if (sent >= limits.maxHistory()) {
                        sink.close(TRY_AGAIN_LATER, "history is limited to " + limits.maxHistory()
                                + " messages; resume with startDate=" + last.processedAt());
                        return null;
                    }
                    sink.send(MessageJson.frame(r, null));
                    sent++;
                    last = r;
                    if (r.processedAt() != null && r.processedAt() > recentSince) recent.add(r.itemHash());
                }
                if (page.size() < want) break;
            }
            return recent;
        }

        /** Called on the publishing thread: queues the event's frame, or disconnects a subscriber whose queue is full. */
        private void offer(Event e) {
            if (closed.get() || !filter.matches(e.row)) return;
            String frame = e.frame();
            long chars = queuedChars.addAndGet(frame.length());
            if (chars > limits.queueChars() || !queue.offer(new Queued(e.row.itemHash(), e.status, frame))) {
                log.info("stream subscriber {} fell behind ({} frames, {} characters waiting); disconnecting it",
                        addressKey, queue.size(), chars);
                disconnectedSlow.incrementAndGet();
                sink.close(TRY_AGAIN_LATER, "Too slow: more than " + limits.queueFrames() + " frames or "
                        + limits.queueChars() + " characters waiting; reconnect with startDate");
                close();
            }
        }

        public MessageFilter filter() {
            return filter;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            subscribers.remove(this);
            release(addressKey);
            queue.clear();
            queuedChars.set(0);
            Thread t = sender;
            if (t != null && t != Thread.currentThread()) t.interrupt();
        }
    }

    private final Limits limits;
    private final InstantSource clock;
    private final CopyOnWriteArrayList<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> perAddress = new HashMap<>();
    private int admitted;
    private final AtomicLong disconnectedSlow = new AtomicLong();

    public MessageStream(Limits limits, InstantSource clock) {
        this.limits = limits;
        this.clock = clock;
    }

    /**
     * Registers a subscriber from {@code addressKey}; its live events queue from now on while its history (read
     * through {@code history}) is replayed first. Refused when the stream is at capacity.
     */
    public Subscription subscribe(MessageFilter filter, String addressKey, Sink sink, History history) throws RefusedException {
        synchronized (perAddress) {
            if (admitted >= limits.maxSubscribers()) throw new RefusedException("Too many connections");
            int mine = perAddress.getOrDefault(addressKey, 0);
            if (mine >= limits.maxPerAddress()) throw new RefusedException("Too many connections from this address");
            perAddress.put(addressKey, mine + 1);
            admitted++;
        }
        Subscription s = new Subscription(filter, addressKey, sink, history);
        subscribers.add(s);
        s.start();
        return s;
    }

    private void release(String addressKey) {
        synchronized (perAddress) {
            admitted--;
            perAddress.computeIfPresent(addressKey, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    public boolean hasSubscribers() {
        return !subscribers.isEmpty();
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    /** Subscribers disconnected so far because their queue was full. */
    public long slowDisconnects() {
        return disconnectedSlow.get();
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

package org.aleph4j.ccn.stream;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Fans processed messages and status changes out to subscribers, in the order of their change sequence
 * ({@link org.aleph4j.ccn.storage.MessageStore#changesAfter}). A subscriber is registered first, so live events
 * queue up while its sender thread finds where its history starts and replays the changes after that point from
 * the database page by page, in sequence order (at most {@link Limits#maxHistory} messages, never all at once).
 * Live events numbered at or below the last change sent were already covered by the history and are dropped, so
 * every subscriber receives strictly increasing sequences, each change once, and one that reconnects with the
 * last sequence it received ({@code since_sequence}) misses nothing. Each subscriber has its own bounded queue
 * (frames and characters) and sender thread, so a slow client never slows processing: one whose queue is full is
 * disconnected with a close reason naming its resume point. Subscribers are capped in total and per remote address.
 */
public final class MessageStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MessageStream.class);
    /** Websocket close code TRY_AGAIN_LATER, as upstream uses at capacity. */
    public static final int TRY_AGAIN_LATER = 1013;
    static final int HISTORY_PAGE = 100;

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

    /** Past changes for a new subscriber. */
    public interface History {
        /** The sequence after which the replay starts; read once the subscriber is registered. */
        long start();

        /** Up to {@code limit} matching changes numbered above {@code after}, in sequence order. */
        List<MessageRow> page(long after, int limit);
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

    private record Queued(long sequence, String frame) {}

    /** One subscriber. */
    public final class Subscription implements AutoCloseable {
        private final MessageFilter filter;
        private final Sink sink;
        private final String addressKey;
        private final History history;
        private final LinkedBlockingQueue<Queued> queue;
        private final AtomicLong queuedChars = new AtomicLong();
        private final AtomicBoolean closed = new AtomicBoolean();
        /** The sequence of the last change sent (or the start of the replay before any): where a reconnect resumes. */
        private volatile long lastSent = -1;
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
                boolean live = catchUp();
                while (live && !closed.get()) {
                    Queued q = queue.poll(1, TimeUnit.SECONDS);
                    if (q == null) continue;
                    queuedChars.addAndGet(-q.frame().length());
                    // at or below the last change sent: the history already had this change or a later one
                    if (q.sequence() <= lastSent) continue;
                    sink.send(q.frame());
                    lastSent = q.sequence();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // usually the client went away; otherwise (a failed history read) tell it before dropping it
                log.debug("stream subscriber gone: {}", e.toString());
                if (!closed.get()) sink.close(1011, "stream failed; " + resumeHint());
            } finally {
                close();
            }
        }

        private String resumeHint() {
            long at = lastSent;
            return at < 0 ? "reconnect" : "reconnect with since_sequence=" + at;
        }

        /**
         * Replays history page by page, straight to the sink, so a slow client slows only its own replay. A page
         * read after a change committed holds it (changes commit in sequence order), and the last, short page was
         * read after every change numbered up to {@link #lastSent}: live events at or below it are duplicates.
         * Returns false when the replay hit {@link Limits#maxHistory} and the subscriber was closed with a resume point.
         */
        private boolean catchUp() throws Exception {
            lastSent = history.start();
            int sent = 0;
            while (!closed.get()) {
                int want = Math.min(HISTORY_PAGE, limits.maxHistory() - sent + 1);
                List<MessageRow> page = history.page(lastSent, want);
                for (MessageRow r : page) {
                    if (closed.get()) return false;
                    if (sent >= limits.maxHistory()) {
                        sink.close(TRY_AGAIN_LATER, "history is limited to " + limits.maxHistory()
                                + " messages; resume with since_sequence=" + lastSent);
                        return false;
                    }
                    sink.send(MessageJson.historyFrame(r));
                    sent++;
                    lastSent = r.sequence();
                }
                if (page.size() < want) break;
            }
            return true;
        }

        /** Called on the publishing thread: queues the event's frame, or disconnects a subscriber whose queue is full. */
        private void offer(Event e) {
            if (closed.get() || !filter.matches(e.row)) return;
            String frame = e.frame();
            long chars = queuedChars.addAndGet(frame.length());
            if (chars > limits.queueChars() || !queue.offer(new Queued(e.row.sequence(), frame))) {
                log.info("stream subscriber {} fell behind ({} frames, {} characters waiting); disconnecting it",
                        addressKey, queue.size(), chars);
                disconnectedSlow.incrementAndGet();
                sink.close(TRY_AGAIN_LATER, "Too slow: more than " + limits.queueFrames() + " frames or "
                        + limits.queueChars() + " characters waiting; " + resumeHint());
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
    private final CopyOnWriteArrayList<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> perAddress = new HashMap<>();
    private int admitted;
    private final AtomicLong disconnectedSlow = new AtomicLong();

    public MessageStream(Limits limits) {
        this.limits = limits;
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

    /**
     * Announces a newly processed message ({@code status == null}) or a status change. Callers publish committed
     * changes in sequence order (the worker reads them back by sequence after each commit); a subscriber drops an
     * event numbered at or below one it already sent.
     */
    public void publish(MessageRow row, String status) {
        if (row.sequence() == null) throw new IllegalArgumentException("only numbered changes are published: " + row.itemHash());
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

package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A live subscription to a CCN's {@code /api/ws0/messages}, made by {@link CcnClient#subscribe},
 * {@link CcnClient#subscribeAfter} (frames read as {@link StreamFrame}s) or {@link CcnClient#stream}
 * (raw JSON).
 *
 * <p>The CCN numbers every change of a message (processed, forgotten, removing...) in a strictly
 * increasing sequence, in the order the changes became visible, and the websocket replays the changes
 * after a given number ({@code since_sequence}) before following live ones. The stream remembers the
 * sequence of the last frame it delivered ({@link #lastSequence()}) and reconnects after it, with
 * exponential back-off (0.1 s → 8 s): no change is lost or delivered twice across reconnects, a CCN
 * restart included, and the senders' clocks play no part. Before the first frame, a reconnect starts
 * where the first connection did. A CCN whose newest change is numbered below the stream's position
 * has another log (its database was replaced): the stream then replays that log from the start. Frames without a sequence (from a CCN that does not number
 * changes) are delivered as they come and do not move the resume point.
 *
 * <p>The callback runs on one thread at a time, in arrival order. Close the stream to stop; the
 * callback is never called after {@link #close()} returns.
 */
public final class MessageStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MessageStream.class);
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 8_000;
    private static final Duration PING_EVERY = Duration.ofSeconds(15);

    private final CcnClient client;
    private final HttpClient http;
    private final MessageQuery query;
    private final Consumer<StreamFrame> onMessage;
    /** The first connection's start when no sequence was given: a time, or null for "from now". */
    private final Double startDate;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Object deliveryLock = new Object();
    /** The sequence of the last frame delivered, or where to start; null until one is known. */
    private volatile Long resumeAfter;
    private volatile WebSocket current;
    private volatile boolean connected;
    private volatile int connections;
    private Thread worker;

    MessageStream(CcnClient client, HttpClient http, MessageQuery query, Double startDate, Long afterSequence,
                  Consumer<StreamFrame> onMessage) {
        this.client = client;
        this.http = http;
        MessageQuery q = query == null ? MessageQuery.all() : query;
        // where to start is this stream's business: the query's own bounds would fight it
        this.query = q.toBuilder().startDate(null).sinceSequence(null).build();
        this.startDate = startDate != null ? startDate : q.startDate();
        this.resumeAfter = afterSequence != null ? afterSequence : q.sinceSequence();
        this.onMessage = onMessage;
    }

    void start() {
        worker = Thread.ofVirtual().name("ccn-stream-" + client.baseUrl().getPort()).start(this::run);
    }

    /** True while a websocket is open. */
    public boolean isConnected() {
        return connected;
    }

    /** How many websocket connections were opened so far (1 + reconnects). */
    public int connections() {
        return connections;
    }

    /**
     * The sequence the next connection resumes after: that of the last frame delivered, else the
     * starting point; null while none is known (a start from a time, before its first frame).
     */
    public Long lastSequence() {
        return resumeAfter;
    }

    private void run() {
        long backoff = MIN_BACKOFF_MS;
        while (closed.getCount() > 0) {
            try {
                if (connectAndFollow()) backoff = MIN_BACKOFF_MS;
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                log.debug("message stream from {} failed: {}", client.baseUrl(), e.toString());
            }
            connected = false;
            if (closed.getCount() == 0) return;
            log.info("message stream from {} disconnected; reconnecting in {} ms", client.baseUrl(), backoff);
            try {
                if (closed.await(backoff, TimeUnit.MILLISECONDS)) return;
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
    }

    /**
     * The newest change the CCN has numbered (any message, any status but pending), or null when it
     * numbers none: "from now" as a sequence, read before connecting so nothing after it is missed.
     */
    private Long head() throws CcnException {
        JsonNode page = client.messagesJson(MessageQuery.builder().sinceSequence(0L).sortOrder(-1).pagination(1)
                .msgStatuses("processed", "rejected", "forgotten", "removing", "removed").build());
        JsonNode newest = page.path("messages").path(0);
        if (newest.isMissingNode()) return page.has("messages") ? 0L : null;
        JsonNode seq = newest.path("sequence");
        return seq.canConvertToLong() && seq.isIntegralNumber() ? seq.asLong() : null;
    }

    /** One connection: open, then follow until it closes. Returns whether it opened. */
    private boolean connectAndFollow() throws Exception {
        Long after = resumeAfter;
        if (after == null && startDate == null) {
            after = head();
            if (after != null) resumeAfter = after;
        } else if (after != null && after > 0) {
            Long head = head();
            if (head != null && head < after) {
                // numbers only grow within one log: this CCN's log is not the one the position came from
                log.warn("the CCN at {} has numbered changes up to {} only, below this stream's position {}: its log "
                        + "was replaced; replaying it from the start", client.baseUrl(), head, after);
                after = 0L;
                resumeAfter = 0L;
            }
        }
        MessageQuery q = after != null ? query.toBuilder().sinceSequence(after).build()
                : startDate != null ? query.toBuilder().startDate(startDate).build() : query;
        String qs = q.queryString();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Listener listener = new Listener(done);
        WebSocket ws;
        try {
            ws = http.newWebSocketBuilder().connectTimeout(client.timeout())
                    .buildAsync(client.wsUri("/api/ws0/messages" + (qs.isEmpty() ? "" : "?" + qs)), listener)
                    .get(client.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CcnException(client.baseUrl(), 0, null, "websocket connect timed out", null, null);
        }
        current = ws;
        connected = true;
        connections++;
        if (closed.getCount() == 0) {
            ws.abort();
            return true;
        }
        log.debug("message stream connected to {} after sequence {}", client.baseUrl(), after);
        // Follow until the socket closes; ping regularly so a dead peer is noticed.
        while (closed.getCount() > 0) {
            try {
                done.get(PING_EVERY.toMillis(), TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                if (System.nanoTime() - listener.lastHeard > 3 * PING_EVERY.toNanos()) {
                    log.info("message stream from {} is silent; reconnecting", client.baseUrl());
                    ws.abort();
                    break;
                }
                ws.sendPing(ByteBuffer.allocate(0));
            } catch (java.util.concurrent.ExecutionException e) {
                break;
            }
        }
        ws.abort();
        return true;
    }

    private void deliver(JsonNode m) {
        if (m == null || !m.isObject()) return;
        StreamFrame frame = StreamFrame.of(m);
        synchronized (deliveryLock) {
            if (closed.getCount() == 0) return;
            Long seq = frame.sequence();
            if (seq != null) {
                Long last = resumeAfter;
                // the CCN sends increasing sequences; anything at or below the last one was delivered
                if (last != null && seq <= last) return;
                resumeAfter = seq;
            }
            try {
                onMessage.accept(frame);
            } catch (RuntimeException e) {
                log.warn("message stream callback failed on {}: {}", frame.itemHash(), e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed.countDown();
        WebSocket ws = current;
        if (ws != null) ws.abort();
        Thread w = worker;
        if (w != null && w != Thread.currentThread()) {
            // Aborting the socket does not wake a worker waiting for it to close; the interrupt does.
            w.interrupt();
            try {
                w.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Taking the lock waits for a callback in progress, so none runs after close returns.
        synchronized (deliveryLock) {
            current = null;
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final CompletableFuture<Void> done;
        private final StringBuilder partial = new StringBuilder();
        volatile long lastHeard = System.nanoTime();

        Listener(CompletableFuture<Void> done) {
            this.done = done;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            lastHeard = System.nanoTime();
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                JsonNode node = CcnHttp.parseOrNull(text);
                if (node != null && node.isArray()) node.forEach(MessageStream.this::deliver);
                else deliver(node);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            lastHeard = System.nanoTime();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            lastHeard = System.nanoTime();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            done.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            done.completeExceptionally(error);
        }
    }
}

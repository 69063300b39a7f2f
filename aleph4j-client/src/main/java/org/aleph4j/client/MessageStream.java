package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A live subscription to a CCN's {@code /api/ws0/messages}, made by {@link CcnClient#subscribe}
 * (frames read as {@link StreamFrame}s) or {@link CcnClient#stream} (raw JSON).
 * Reconnects with exponential back-off (0.1 s → 8 s); on each reconnect it resumes a few seconds
 * before the last seen message time and fills the gap through {@code messages.json}, delivering
 * each (item_hash, status) pair once. Close it to stop; the callback is never called after
 * {@link #close()} returns.
 */
public final class MessageStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MessageStream.class);
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 8_000;
    /** Resume this far before the last seen time: messages with equal or slightly older times are re-read and deduplicated. */
    private static final double RESUME_MARGIN_S = 5.0;
    private static final Duration PING_EVERY = Duration.ofSeconds(15);
    private static final int MAX_CATCH_UP_PAGES = 50;

    private final CcnClient client;
    private final HttpClient http;
    private final MessageQuery query;
    private final Consumer<StreamFrame> onMessage;
    private final InstantSource clock;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Object deliveryLock = new Object();
    private final Map<String, Boolean> seen = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 100_000;
        }
    };
    private volatile Double resumeFrom;
    private volatile WebSocket current;
    private volatile boolean connected;
    private volatile int connections;
    private Thread worker;

    MessageStream(CcnClient client, HttpClient http, MessageQuery query, Double startDate, Consumer<StreamFrame> onMessage,
                  InstantSource clock) {
        this.client = client;
        this.http = http;
        this.query = query == null ? MessageQuery.all() : query;
        this.resumeFrom = startDate;
        this.onMessage = onMessage;
        this.clock = clock;
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

    /** The time the next reconnect would resume from (last seen message time), or null. */
    public Double resumePoint() {
        return resumeFrom;
    }

    private void run() {
        long backoff = MIN_BACKOFF_MS;
        boolean first = true;
        while (closed.getCount() > 0) {
            try {
                boolean opened = connectAndFollow(first);
                first = false;
                if (opened) backoff = MIN_BACKOFF_MS;
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

    /** One connection: open, catch up if resuming, then follow until it closes. Returns whether it opened. */
    private boolean connectAndFollow(boolean first) throws Exception {
        Double from = resumeFrom;
        if (from == null && !first) {
            // Nothing seen yet but we were connected before: resume from when we first tried.
            from = clock.millis() / 1000.0 - RESUME_MARGIN_S;
        }
        if (from == null) resumeFrom = clock.millis() / 1000.0 - RESUME_MARGIN_S;
        MessageQuery q = from == null ? query : query.toBuilder().startDate(from).build();
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
        log.debug("message stream connected to {}", client.baseUrl());
        if (from != null) catchUp(from);
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

    /** Reads messages from {@code from} onwards over the REST API, oldest first, to fill a reconnect gap. */
    private void catchUp(double from) {
        MessageQuery.Builder b = query.toBuilder().startDate(from).sortOrder(1).pagination(200);
        for (int page = 1; page <= MAX_CATCH_UP_PAGES && closed.getCount() > 0; page++) {
            try {
                JsonNode json = client.messagesJson(b.page(page).build());
                JsonNode msgs = json.path("messages");
                for (JsonNode m : msgs) deliver(m);
                if (msgs.size() < 200) return;
            } catch (CcnException e) {
                log.debug("catch-up from {} failed: {}", client.baseUrl(), e.getMessage());
                return;
            }
        }
    }

    private void deliver(JsonNode m) {
        if (m == null || !m.isObject()) return;
        StreamFrame frame = StreamFrame.of(m);
        String hash = frame.itemHash();
        synchronized (deliveryLock) {
            if (closed.getCount() == 0) return;
            if (frame.hasHash() && seen.put(hash + "/" + frame.statusText(), Boolean.TRUE) != null) return;
            if (frame.time() != null) {
                Double cur = resumeFrom;
                double candidate = frame.time() - RESUME_MARGIN_S;
                if (cur == null || candidate > cur) resumeFrom = candidate;
            }
            try {
                onMessage.accept(frame);
            } catch (RuntimeException e) {
                log.warn("message stream callback failed on {}: {}", hash, e.toString());
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
            seen.clear();
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

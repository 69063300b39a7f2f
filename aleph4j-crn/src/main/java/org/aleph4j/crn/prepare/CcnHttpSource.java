package org.aleph4j.crn.prepare;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ProgramSource} over the CCN's upstream HTTP API (reference §3.4, §5.3) with the JDK client.
 * Written here because aleph4j-client's CcnClient was not available when the CRN was built; it
 * uses the same paths and shapes, every call bounded by a timeout.
 */
public final class CcnHttpSource implements ProgramSource {
    private static final Logger log = LoggerFactory.getLogger(CcnHttpSource.class);
    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    public CcnHttpSource(URI ccnUrl, Duration timeout) {
        String s = ccnUrl.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    private JsonNode getJson(String pathAndQuery, boolean notFoundIsEmpty) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(timeout).GET().build();
        try {
            HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() == 404 && notFoundIsEmpty) return null;
            if (resp.statusCode() >= 400) {
                throw new CcnSourceException("CCN answered " + resp.statusCode() + " to " + pathAndQuery, null);
            }
            return Json.MAPPER.readTree(resp.body());
        } catch (IOException e) {
            throw new CcnSourceException("cannot reach the CCN at " + base + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CcnSourceException("interrupted while calling the CCN", e);
        }
    }

    private static Fetched fetched(String status, JsonNode messageJson) {
        try {
            AlephMessage m = MessageValidator.parseEnvelope(messageJson);
            JsonNode content = messageJson.get("content");
            return new Fetched(status, m.withContent(content), content);
        } catch (Exception e) {
            throw new CcnSourceException("CCN returned a malformed message: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Fetched> message(String hash) {
        JsonNode body = getJson("/api/v0/messages/" + enc(hash), true);
        if (body == null || !body.path("message").isObject()) return Optional.empty();
        String status = body.path("status").asText("processed");
        if (!"processed".equals(status) && !"pending".equals(status)) {
            // forgotten messages lose their content upstream: the status is all that matters then
            try {
                return Optional.of(fetched(status, body.get("message")));
            } catch (CcnSourceException e) {
                return Optional.of(new Fetched(status, null, null));
            }
        }
        return Optional.of(fetched(status, body.get("message")));
    }

    @Override
    public Optional<Fetched> latestAmend(String ref, String owner) {
        JsonNode body = getJson("/api/v0/messages.json?msgTypes=STORE&sortOrder=-1&sort_order=-1&pagination=50&refs="
                + enc(ref) + "&addresses=" + enc(owner), false);
        for (JsonNode m : body.path("messages")) {
            JsonNode c = m.path("content");
            if (owner.equalsIgnoreCase(c.path("address").asText()) && ref.equals(c.path("ref").asText())) {
                return Optional.of(fetched("processed", m));
            }
        }
        return Optional.empty();
    }

    @Override
    public void download(String fileHash, Path target) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/v0/storage/raw/" + enc(fileHash)))
                .timeout(timeout).GET().build();
        try {
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                if (resp.statusCode() != 200) {
                    throw new CcnSourceException("CCN answered " + resp.statusCode() + " for file " + fileHash, null);
                }
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new CcnSourceException("cannot download file " + fileHash + " from " + base + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CcnSourceException("interrupted while downloading " + fileHash, e);
        }
    }

    @Override
    public AutoCloseable stream(Consumer<JsonNode> onMessage) {
        StreamSubscription s = new StreamSubscription(onMessage);
        Thread.ofVirtual().name("ccn-stream").start(s::run);
        return s;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A websocket subscription that reconnects with back-off (0.1 s to 8 s) until closed. */
    private final class StreamSubscription implements AutoCloseable, WebSocket.Listener {
        private final Consumer<JsonNode> onMessage;
        private volatile boolean closed;
        private volatile WebSocket socket;
        private final StringBuilder partial = new StringBuilder();
        private volatile CompletableFuture<Void> done = new CompletableFuture<>();
        private final Object wake = new Object();

        StreamSubscription(Consumer<JsonNode> onMessage) {
            this.onMessage = onMessage;
        }

        void run() {
            long backoffMs = 100;
            double since = System.currentTimeMillis() / 1000.0;
            while (!closed) {
                String ws = base.toString().replaceFirst("^http", "ws") + "/api/ws0/messages?startDate=" + since;
                try {
                    done = new CompletableFuture<>();
                    socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                            .buildAsync(URI.create(ws), this).get(10, TimeUnit.SECONDS);
                    backoffMs = 100;
                    done.join();
                } catch (Exception e) {
                    if (!closed) log.debug("CCN stream connection failed: {}", e.toString());
                }
                since = System.currentTimeMillis() / 1000.0 - 5; // overlap; consumers are idempotent
                if (closed) break;
                synchronized (wake) {
                    try {
                        wake.wait(backoffMs);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                backoffMs = Math.min(8000, backoffMs * 2);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                try {
                    onMessage.accept(Json.MAPPER.readTree(text));
                } catch (Exception e) {
                    log.warn("ignoring a stream frame: {}", e.toString());
                }
            }
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
            done.complete(null);
        }

        @Override
        public void close() {
            closed = true;
            WebSocket s = socket;
            if (s != null) s.abort();
            done.complete(null);
            synchronized (wake) {
                wake.notifyAll();
            }
        }
    }
}

package org.aleph4j.crn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Json;

/**
 * A real CCN seen through a thin HTTP front (127.0.0.1): every request goes to the CCN, except
 * {@code GET /api/v0/messages/<hash>} of a message {@link #serve served} here while the CCN does not
 * report it processed. It stands in for a CCN that accepts PROGRAMs naming upstream's runtimes (whose
 * STORE only aleph.im's network has) until the CCN does so itself; once it does, the CCN answers. It
 * records every path asked, so a test sees what the CRN fetched. WebSocket upgrades are refused (502):
 * the CRN's watcher keeps retrying, which these tests do not need.
 */
final class CcnOverlay implements AutoCloseable {
    private final URI ccn;
    private final HttpServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, AlephMessage> served = new ConcurrentHashMap<>();
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private static final Set<String> HOP = Set.of("connection", "content-length", "host", "transfer-encoding", "upgrade",
            "keep-alive", "te", "trailer", "expect", "http2-settings");

    CcnOverlay(URI ccn) throws IOException {
        this.ccn = ccn;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Serves {@code m} as processed when the CCN does not report it processed. */
    void serve(AlephMessage m) {
        served.put(m.itemHash(), m);
    }

    /** Paths (with query) the CRN asked, in order. */
    List<String> asked() {
        return List.copyOf(asked);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String pathAndQuery = ex.getRequestURI().getRawPath()
                    + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
            asked.add(pathAndQuery);
            if ("websocket".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Upgrade"))) {
                ex.sendResponseHeaders(502, -1);
                return;
            }
            byte[] body = ex.getRequestBody().readAllBytes();
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(ccn + pathAndQuery)).timeout(Duration.ofSeconds(30))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase())) vs.forEach(v -> b.header(k, v));
            });
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            String path = ex.getRequestURI().getRawPath();
            String prefix = "/api/v0/messages/";
            AlephMessage mine = path.startsWith(prefix) ? served.get(path.substring(prefix.length())) : null;
            if (mine != null && "GET".equals(ex.getRequestMethod()) && !processed(r)) {
                ObjectNode j = Json.MAPPER.createObjectNode();
                j.put("status", "processed");
                j.put("item_hash", mine.itemHash());
                j.put("reception_time", mine.time());
                j.set("message", mine.toJson());
                byte[] out = Json.write(j).getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, out.length);
                ex.getResponseBody().write(out);
                return;
            }
            r.headers().map().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase()) && !k.startsWith(":")) vs.forEach(v -> ex.getResponseHeaders().add(k, v));
            });
            ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
            if (r.body().length > 0) ex.getResponseBody().write(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean processed(HttpResponse<byte[]> r) {
        if (r.statusCode() != 200) return false;
        try {
            return "processed".equals(Json.MAPPER.readTree(r.body()).path("status").asText());
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

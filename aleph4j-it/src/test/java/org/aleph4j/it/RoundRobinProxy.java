package org.aleph4j.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load balancer in front of CCN replicas, as small as a test needs: each HTTP request goes to the next backend in
 * turn (requests, not connections, alternate, so a client keeping its connection alive still meets every replica),
 * bodies streamed both ways. A backend can be taken out of rotation, as a balancer's health check would.
 */
final class RoundRobinProxy implements AutoCloseable {
    /** One forwarded request: which backend served it. */
    record Hop(int backend, String method, String path, int status) {}

    private static final Set<String> HOP_HEADERS = Set.of("connection", "content-length", "host", "transfer-encoding", "upgrade",
            "keep-alive", "expect", "te", "trailer", "proxy-connection");
    private final List<URI> backends;
    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicLong next = new AtomicLong();
    private volatile int only = -1;
    final ConcurrentLinkedQueue<Hop> hops = new ConcurrentLinkedQueue<>();

    RoundRobinProxy(List<URI> backends) throws IOException {
        this.backends = List.copyOf(backends);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::forward);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Sends everything to backend {@code i} (-1: all of them in turn again). */
    void only(int i) {
        only = i;
    }

    long served(int backend) {
        return hops.stream().filter(h -> h.backend() == backend).count();
    }

    private void forward(HttpExchange ex) throws IOException {
        int b = only >= 0 ? only : (int) (next.getAndIncrement() % backends.size());
        String pathAndQuery = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        try (ex) {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(backends.get(b) + pathAndQuery)).timeout(Duration.ofSeconds(120));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP_HEADERS.contains(k.toLowerCase())) vs.forEach(v -> rb.header(k, v));
            });
            String length = ex.getRequestHeaders().getFirst("Content-Length");
            InputStream body = ex.getRequestBody();
            HttpRequest.BodyPublisher publisher = "GET".equals(ex.getRequestMethod()) || "HEAD".equals(ex.getRequestMethod())
                    ? HttpRequest.BodyPublishers.noBody()
                    : length != null ? HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), Long.parseLong(length))
                    : HttpRequest.BodyPublishers.ofInputStream(() -> body);
            HttpResponse<InputStream> r;
            try {
                r = client.send(rb.method(ex.getRequestMethod(), publisher).build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException | InterruptedException e) {
                hops.add(new Hop(b, ex.getRequestMethod(), pathAndQuery, 502));
                ex.sendResponseHeaders(502, -1);
                return;
            }
            hops.add(new Hop(b, ex.getRequestMethod(), pathAndQuery, r.statusCode()));
            r.headers().map().forEach((k, vs) -> {
                if (!HOP_HEADERS.contains(k.toLowerCase()) && !k.startsWith(":")) vs.forEach(v -> ex.getResponseHeaders().add(k, v));
            });
            long declared = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            boolean empty = "HEAD".equals(ex.getRequestMethod()) || r.statusCode() == 204 || r.statusCode() == 304 || declared == 0;
            ex.sendResponseHeaders(r.statusCode(), empty ? -1 : declared > 0 ? declared : 0);
            try (InputStream in = r.body(); OutputStream out = ex.getResponseBody()) {
                if (!empty) in.transferTo(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        client.close();
    }
}

package org.aleph4j.crn.guest;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.aleph4j.crn.CrnException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest API of one execution: a small HTTP/1.1 server on a Unix socket that only this
 * execution can reach, so every request is the program's own (upstream runs one aiohttp app per VM
 * on the VM's vsock, with the VM hash as its cache prefix). One request per connection
 * ({@code Connection: close}), bodies with a {@code Content-Length}, a bounded number of
 * connections and a deadline on each.
 */
public final class GuestApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GuestApi.class);
    static final int MAX_HEAD_BYTES = 16 * 1024;
    /** Plain JSON (nulls kept: upstream's /properties has its keys whatever their value). */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final String executionId;
    private final String itemHash;
    private final Path socket;
    private final GuestApis node;
    private final ServerSocketChannel server;
    private final Semaphore connections;
    private volatile boolean closed;

    GuestApi(String executionId, String itemHash, Path socket, GuestApis node) throws IOException {
        this.executionId = executionId;
        this.itemHash = itemHash;
        this.socket = socket;
        this.node = node;
        this.connections = new Semaphore(node.settings().maxConnections());
        // whatever is at the path (a stale socket, a link a previous run of the program left) goes, not its target
        Files.deleteIfExists(socket);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().name("guest-api-" + executionId).start(this::serve);
    }

    public Path socket() {
        return socket;
    }

    private void serve() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) log.warn("guest API of {} stopped accepting: {}", executionId, e.toString());
                return;
            }
            if (!connections.tryAcquire()) {
                Thread.ofVirtual().start(() -> refuse(c));
                continue;
            }
            Thread.ofVirtual().start(() -> {
                var deadline = node.timer().schedule(() -> closeQuietly(c), node.settings().requestTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
                try {
                    handle(c);
                } finally {
                    deadline.cancel(false);
                    closeQuietly(c);
                    connections.release();
                }
            });
        }
    }

    private void refuse(SocketChannel c) {
        try (c; OutputStream out = Channels.newOutputStream(c)) {
            write(out, 503, error(503, "too many concurrent requests to the guest API (at most "
                    + node.settings().maxConnections() + ")", Map.of()), false);
        } catch (IOException ignored) {
            // the program went away
        }
    }

    private void handle(SocketChannel c) {
        try {
            InputStream in = new BufferedInputStream(Channels.newInputStream(c));
            OutputStream out = Channels.newOutputStream(c);
            Request req;
            try {
                req = Request.read(in, node.settings().cache().maxValueBytes());
            } catch (CrnException e) {
                write(out, e.status(), error(e.status(), e.getMessage(), e.details()), false);
                return;
            }
            Response r;
            try {
                r = route(req);
            } catch (CrnException e) {
                r = error(e.status(), e.getMessage(), e.details());
            } catch (RuntimeException e) {
                log.warn("guest API of {}: {} {} failed", executionId, req.method, req.path, e);
                r = error(500, "internal error of the guest API", Map.of());
            }
            write(out, r.status, r, req.method.equals("HEAD"));
        } catch (IOException e) {
            // the program closed the connection or the deadline did
        }
    }

    record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
        static Response json(int status, Object value) {
            try {
                return new Response(status, "application/json", JSON.writeValueAsBytes(value), Map.of());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static Response error(int status, String message, Map<String, Object> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("error_code", status);
        body.put("details", details == null ? Map.of() : details);
        return Response.json(status, body);
    }

    private static Response notAllowed(String allow, String why) {
        Response e = error(405, why, Map.of("allow", allow));
        return new Response(405, e.contentType, e.body, Map.of("Allow", allow));
    }

    Response route(Request req) {
        String path = req.path;
        String m = req.method;
        if (path.equals("/properties")) {
            if (!m.equals("GET") && !m.equals("HEAD")) return notAllowed("GET", "/properties is read-only");
            return Response.json(200, properties());
        }
        if (path.equals("/sign")) {
            if (!m.equals("POST")) return notAllowed("POST", "/sign takes a POST");
            throw new CrnException(501, "remote signing is not offered by aleph4j nodes: sign messages with the program's own key",
                    Map.of("item_hash", itemHash));
        }
        if (path.equals("/cache/") || path.equals("/cache")) {
            if (!m.equals("GET")) return notAllowed("GET", "/cache/ lists keys with GET");
            String pattern = req.query("pattern");
            return Response.json(200, node.cache().keys(itemHash, pattern == null ? "*" : pattern));
        }
        if (path.startsWith("/cache/")) {
            String key = path.substring("/cache/".length());
            return switch (m) {
                case "GET" -> {
                    byte[] v = node.cache().get(itemHash, key);
                    if (v == null) throw new CrnException(404, "No such key in cache", Map.of("key", key));
                    yield new Response(200, "application/octet-stream", v, Map.of());
                }
                case "PUT" -> {
                    node.cache().put(itemHash, key, req.body);
                    yield Response.json(200, true);
                }
                case "DELETE" -> Response.json(200, node.cache().delete(itemHash, key));
                default -> notAllowed("GET, PUT, DELETE", "the cache takes GET, PUT and DELETE");
            };
        }
        if (path.equals("/api/v0/ipfs/pubsub/pub") || path.equals("/api/v0/p2p/pubsub/pub")) {
            if (m.equals("POST")) {
                throw new CrnException(501, "publishing through the node is not offered by aleph4j nodes:"
                        + " post signed messages to a CCN yourself", Map.of("path", path));
            }
        }
        if (CcnProxy.handles(path)) {
            if (!m.equals("GET") && !m.equals("HEAD")) {
                return notAllowed("GET, HEAD", "the guest API's proxy to the CCN is read-only");
            }
            CcnProxy.Answer a = node.proxy().forward(m, req.rawPath, req.rawQuery);
            return new Response(a.status(), a.contentType(), a.body(), Map.of());
        }
        throw new CrnException(404, "not a path of the guest API", Map.of("path", path.length() > 128 ? path.substring(0, 128) : path));
    }

    private Map<String, Object> properties() {
        // upstream's keys (its node's signing account); aleph4j signs nothing for programs, so no account
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("chain", "ETH");
        p.put("curve", "secp256k1");
        p.put("address", null);
        p.put("public_key", null);
        p.put("signing", false);
        p.put("vm_hash", itemHash);
        p.put("address_to_use", GuestEnvironment.hostname(itemHash));
        p.put("init_version", GuestEnvironment.INIT_VERSION);
        return p;
    }

    private static void write(OutputStream out, int status, Response r, boolean head) throws IOException {
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        h.append("Content-Type: ").append(r.contentType).append("\r\n");
        h.append("Content-Length: ").append(r.body.length).append("\r\n");
        for (var e : r.headers.entrySet()) h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        h.append("Connection: close\r\n\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!head) out.write(r.body);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 507 -> "Insufficient Storage";
            default -> "Status";
        };
    }

    /** One parsed request: method, path (decoded), raw path and query, body. */
    static final class Request {
        final String method;
        final String rawPath;
        final String rawQuery;
        final String path;
        final byte[] body;

        private Request(String method, String rawPath, String rawQuery, byte[] body) {
            this.method = method;
            this.rawPath = rawPath;
            this.rawQuery = rawQuery;
            this.path = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
            this.body = body;
        }

        String query(String name) {
            if (rawQuery == null) return null;
            for (String kv : rawQuery.split("&")) {
                int eq = kv.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
                if (k.equals(name)) return eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            }
            return null;
        }

        static Request read(InputStream in, int maxBody) throws IOException {
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            String[] first = lines[0].split(" ");
            if (first.length != 3 || !first[2].startsWith("HTTP/1.") || !first[1].startsWith("/")) {
                throw new CrnException(400, "not an HTTP/1.x request line", Map.of());
            }
            long length = 0;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) throw new CrnException(400, "malformed header line", Map.of());
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                if (name.equals("transfer-encoding")) {
                    throw new CrnException(411, "the guest API takes bodies with a Content-Length", Map.of());
                }
                if (name.equals("content-length")) {
                    try {
                        length = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new CrnException(400, "bad Content-Length", Map.of());
                    }
                    if (length < 0) throw new CrnException(400, "bad Content-Length", Map.of());
                }
            }
            if (length > maxBody) {
                throw new CrnException(413, "a request body holds at most " + maxBody + " bytes",
                        Map.of("bytes", length, "limit", maxBody));
            }
            byte[] body = in.readNBytes((int) length);
            if (body.length < length) throw new IOException("body cut short");
            String target = first[1];
            int q = target.indexOf('?');
            String rawPath = q < 0 ? target : target.substring(0, q);
            String rawQuery = q < 0 ? null : target.substring(q + 1);
            try {
                return new Request(first[0].toUpperCase(Locale.ROOT), rawPath, rawQuery, body);
            } catch (IllegalArgumentException e) {
                throw new CrnException(400, "malformed percent-encoding in the path", Map.of());
            }
        }

        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4) {
                int c = in.read();
                if (c < 0) throw new IOException("connection closed in the request head");
                if (b.size() >= MAX_HEAD_BYTES) {
                    throw new CrnException(431, "the request line and headers take at most " + MAX_HEAD_BYTES + " bytes", Map.of());
                }
                b.write(c);
                state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            }
            String s = b.toString(StandardCharsets.ISO_8859_1);
            return s.substring(0, s.length() - 4);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // the work directory goes with the execution
        }
    }
}

package org.aleph4j.crn.guest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.aleph4j.crn.CrnException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest API of one execution: a Unix socket connector of the node's guest server that only this
 * execution can reach, so every request on it is the program's own (upstream runs one aiohttp app
 * per VM on the VM's vsock, with the VM hash as its cache prefix). The connector, not anything the
 * program sends, names the program.
 */
public final class GuestApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GuestApi.class);
    /** Plain JSON (nulls kept: upstream's /properties has its keys whatever their value). */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final String executionId;
    private final String itemHash;
    private final Path socket;
    private final GuestApis node;
    final UnixDomainServerConnector connector;

    GuestApi(String executionId, String itemHash, Path socket, GuestApis node, UnixDomainServerConnector connector) {
        this.executionId = executionId;
        this.itemHash = itemHash;
        this.socket = socket;
        this.node = node;
        this.connector = connector;
    }

    public Path socket() {
        return socket;
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

    /** Answers one request of this execution's program; never throws. */
    Response answer(Request req) {
        try {
            // the body is read before any answer: answering first would reset the connection under a client still sending
            return route(req, body(req));
        } catch (CrnException e) {
            return error(e.status(), e.getMessage(), e.details());
        } catch (IOException e) {
            return error(400, "the request body could not be read: " + e.getMessage(), Map.of());
        } catch (RuntimeException e) {
            log.warn("guest API of {}: {} {} failed", executionId, req.getMethod(), req.getHttpURI().getPath(), e);
            return error(500, "internal error of the guest API", Map.of());
        }
    }

    private Response route(Request req, byte[] body) {
        String path = req.getHttpURI().getDecodedPath();
        String m = req.getMethod();
        if (path == null) throw new CrnException(400, "malformed path", Map.of());
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
            String pattern = Request.extractQueryParameters(req).getValue("pattern");
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
                    node.cache().put(itemHash, key, body);
                    yield Response.json(200, true);
                }
                case "DELETE" -> Response.json(200, node.cache().delete(itemHash, key));
                default -> notAllowed("GET, PUT, DELETE", "the cache takes GET, PUT and DELETE");
            };
        }
        if ((path.equals("/api/v0/ipfs/pubsub/pub") || path.equals("/api/v0/p2p/pubsub/pub")) && m.equals("POST")) {
            throw new CrnException(501, "publishing through the node is not offered by aleph4j nodes:"
                    + " post signed messages to a CCN yourself", Map.of("path", path));
        }
        if (CcnProxy.handles(path)) {
            if (!m.equals("GET") && !m.equals("HEAD")) {
                return notAllowed("GET, HEAD", "the guest API's proxy to the CCN is read-only");
            }
            CcnProxy.Answer a = node.proxy().forward(m, req.getHttpURI().getPath(), req.getHttpURI().getQuery());
            return new Response(a.status(), a.contentType(), a.body(), Map.of());
        }
        throw new CrnException(404, "not a path of the guest API", Map.of("path", path.length() > 128 ? path.substring(0, 128) : path));
    }

    /**
     * The request body, which must have a {@code Content-Length} within the cache's value bound
     * (checked before a byte is read: a lying length gets its 413 at once); the largest body any
     * route takes is a cache value.
     */
    private byte[] body(Request req) throws IOException {
        if (req.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
            throw new CrnException(411, "the guest API takes bodies with a Content-Length", Map.of());
        }
        long length = req.getLength();
        int max = node.settings().cache().maxValueBytes();
        if (length > max) {
            throw new CrnException(413, "a request body holds at most " + max + " bytes", Map.of("bytes", length, "limit", max));
        }
        if (length <= 0) return new byte[0];
        try (InputStream in = Request.asInputStream(req)) {
            byte[] b = in.readNBytes((int) length);
            if (b.length < length) throw new IOException("body cut short");
            return b;
        }
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

    @Override
    public void close() {
        try {
            connector.stop();
        } catch (Exception e) {
            log.debug("guest API of {} did not stop cleanly: {}", executionId, e.toString());
        }
        node.server().removeConnector(connector);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // the work directory goes with the execution
        }
    }
}

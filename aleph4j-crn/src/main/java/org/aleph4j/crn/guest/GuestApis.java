package org.aleph4j.crn.guest;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.aleph4j.crn.CrnException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The node's guest APIs: one Jetty server whose Unix socket connectors are the executions' guest
 * APIs ({@link GuestApi}), each added before its program starts and removed when its execution
 * releases what it held; the cache and the CCN proxy they share. A request is answered for the
 * execution whose connector it came in on.
 */
public final class GuestApis implements AutoCloseable {
    /** The longest Unix socket path the kernel takes ({@code sun_path} is 108 bytes with its NUL). */
    static final int MAX_SOCKET_PATH = 107;
    static final int MAX_HEAD_BYTES = 16 * 1024;

    /**
     * @param cache          bounds and expiry of the per-program cache
     * @param proxyTimeout   one CCN request, headers and body
     * @param maxProxyBytes  a CCN answer forwarded to a program
     * @param maxConnections concurrent connections of one execution
     * @param requestTimeout idle time of a connection before it is closed
     */
    public record Settings(GuestCache.Limits cache, Duration proxyTimeout, int maxProxyBytes, int maxConnections,
                           Duration requestTimeout) {
        public static final Settings DEFAULT = new Settings(GuestCache.Limits.DEFAULT, Duration.ofSeconds(10),
                8 * 1024 * 1024, 16, Duration.ofSeconds(30));
    }

    /** Threads of the guest APIs' server: one selector per running program, plus the requests' own. */
    static final int MAX_THREADS = 2048;
    private final Settings settings;
    private final GuestCache cache;
    private final CcnProxy proxy;
    private final Server server;
    private final HttpConfiguration http = new HttpConfiguration();
    private final Map<String, GuestApi> open = new ConcurrentHashMap<>();
    private final Map<Connector, GuestApi> byConnector = new ConcurrentHashMap<>();

    public GuestApis(URI ccnUrl, Settings settings, InstantSource clock) {
        this.settings = settings;
        this.cache = new GuestCache(settings.cache(), clock);
        this.proxy = new CcnProxy(ccnUrl, settings.proxyTimeout(), settings.maxProxyBytes());
        // one selector thread per open connector (no acceptor thread: the selector accepts), created lazily and
        // released when idle, so a node running hundreds of programs does not run out of threads
        QueuedThreadPool pool = new QueuedThreadPool(MAX_THREADS, 2);
        pool.setName("crn-guest-api");
        pool.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        this.server = new Server(pool);
        http.setRequestHeaderSize(MAX_HEAD_BYTES);
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                GuestApi api = byConnector.get(request.getConnectionMetaData().getConnector());
                GuestApi.Response r = api == null ? GuestApi.error(503, "this guest API is closing", Map.of()) : api.answer(request);
                send(request, response, callback, r);
                return true;
            }
        });
        server.setErrorHandler(new JsonErrors());
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("the guest API server did not start", e);
        }
    }

    static void send(Request request, Response response, Callback callback, GuestApi.Response r) {
        response.setStatus(r.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, r.contentType());
        r.headers().forEach((k, v) -> response.getHeaders().put(k, v));
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, r.body().length);
        boolean head = "HEAD".equals(request.getMethod());
        response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(r.body()), callback);
    }

    /** What Jetty itself refuses (a malformed request, headers over the bound) in the API's error shape. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = response.getStatus();
            Object message = request.getAttribute(ERROR_MESSAGE);
            String text = status == 431 ? "the request line and headers take at most " + MAX_HEAD_BYTES + " bytes"
                    : message == null ? "bad request" : message.toString();
            Map<String, Object> details = new LinkedHashMap<>();
            send(request, response, callback, GuestApi.error(status, text, details));
            return true;
        }
    }

    Settings settings() {
        return settings;
    }

    public GuestCache cache() {
        return cache;
    }

    CcnProxy proxy() {
        return proxy;
    }

    Server server() {
        return server;
    }

    /** Opens the guest API of {@code executionId} (program {@code itemHash}) on {@code socket}, replacing one it had. */
    public GuestApi open(String executionId, String itemHash, Path socket) {
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new CrnException(500, "the guest API's socket path is longer than " + MAX_SOCKET_PATH
                    + " bytes: use a shorter data directory", Map.of("path", socket.toString()));
        }
        close(executionId);
        try {
            // whatever is at the path (a stale socket, a link a previous run of the program left) goes, not its target
            Files.deleteIfExists(socket);
            UnixDomainServerConnector c = new UnixDomainServerConnector(server, 0, 1, new HttpConnectionFactory(http));
            c.setUnixDomainPath(socket);
            c.setIdleTimeout(settings.requestTimeout().toMillis());
            c.setAcceptQueueSize(settings.maxConnections());
            c.addBean(new NetworkConnectionLimit(settings.maxConnections(), c));
            GuestApi api = new GuestApi(executionId, itemHash, socket, this, c);
            byConnector.put(c, api);
            server.addConnector(c);
            c.start();
            open.put(executionId, api);
            return api;
        } catch (Exception e) {
            throw new CrnException(500, "cannot open the guest API of " + itemHash + ": " + e.getMessage());
        }
    }

    /** Closes the guest API of {@code executionId}, if open. */
    public void close(String executionId) {
        GuestApi api = open.remove(executionId);
        if (api == null) return;
        api.close();
        byConnector.remove(api.connector);
    }

    @Override
    public void close() {
        for (String id : Map.copyOf(open).keySet()) close(id);
        try {
            server.stop();
        } catch (Exception ignored) {
            // the node is stopping
        }
    }
}

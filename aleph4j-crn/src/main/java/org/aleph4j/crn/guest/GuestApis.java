package org.aleph4j.crn.guest;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.aleph4j.crn.CrnException;

/**
 * The node's guest APIs: one {@link GuestApi} per running execution, opened before the program
 * starts and closed when its execution releases what it held; the cache and the CCN proxy they share.
 */
public final class GuestApis implements AutoCloseable {
    /** The longest Unix socket path the kernel takes ({@code sun_path} is 108 bytes with its NUL). */
    static final int MAX_SOCKET_PATH = 107;

    /**
     * @param cache          bounds and expiry of the per-program cache
     * @param proxyTimeout   one CCN request, headers and body
     * @param maxProxyBytes  a CCN answer forwarded to a program
     * @param maxConnections concurrent connections of one execution
     * @param requestTimeout one connection, from accept to the answer
     */
    public record Settings(GuestCache.Limits cache, Duration proxyTimeout, int maxProxyBytes, int maxConnections,
                           Duration requestTimeout) {
        public static final Settings DEFAULT = new Settings(GuestCache.Limits.DEFAULT, Duration.ofSeconds(10),
                8 * 1024 * 1024, 16, Duration.ofSeconds(30));
    }

    private final Settings settings;
    private final GuestCache cache;
    private final CcnProxy proxy;
    private final ScheduledExecutorService timer;
    private final Map<String, GuestApi> open = new ConcurrentHashMap<>();

    public GuestApis(URI ccnUrl, Settings settings, InstantSource clock) {
        this.settings = settings;
        this.cache = new GuestCache(settings.cache(), clock);
        this.proxy = new CcnProxy(ccnUrl, settings.proxyTimeout(), settings.maxProxyBytes());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "crn-guest-api-timer");
            t.setDaemon(true);
            return t;
        });
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

    ScheduledExecutorService timer() {
        return timer;
    }

    /** Opens the guest API of {@code executionId} (program {@code itemHash}) on {@code socket}, replacing one it had. */
    public GuestApi open(String executionId, String itemHash, Path socket) {
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new CrnException(500, "the guest API's socket path is longer than " + MAX_SOCKET_PATH
                    + " bytes: use a shorter data directory", Map.of("path", socket.toString()));
        }
        close(executionId);
        try {
            GuestApi api = new GuestApi(executionId, itemHash, socket, this);
            open.put(executionId, api);
            return api;
        } catch (IOException e) {
            throw new CrnException(500, "cannot open the guest API of " + itemHash + ": " + e.getMessage());
        }
    }

    /** Closes the guest API of {@code executionId}, if open. */
    public void close(String executionId) {
        GuestApi api = open.remove(executionId);
        if (api != null) api.close();
    }

    @Override
    public void close() {
        for (String id : Map.copyOf(open).keySet()) close(id);
        timer.shutdownNow();
    }
}

package org.aleph4j.crn.guest;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.aleph4j.crn.CrnException;

/**
 * Upstream's guest API forwards the program's other GETs to an API server; here to the node's own
 * CCN, read-only: GET and HEAD of {@code /api/...}, bounded in time and in size.
 */
final class CcnProxy {
    /** An origin-form path of the CCN API: no authority, no fragment, no dot segments. */
    private static final Pattern PATH = Pattern.compile("/api/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");
    private static final Pattern QUERY = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*");

    record Answer(int status, String contentType, byte[] body) {}

    private final String base;
    private final Duration timeout;
    private final int maxBytes;
    private final HttpClient http;

    CcnProxy(URI ccn, Duration timeout, int maxBytes) {
        String b = ccn.toString();
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        this.timeout = timeout;
        this.maxBytes = maxBytes;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    static boolean handles(String path) {
        return path.startsWith("/api/");
    }

    Answer forward(String method, String rawPath, String rawQuery) {
        if (!PATH.matcher(rawPath).matches() || rawPath.contains("/../") || rawPath.endsWith("/..")
                || rawPath.contains("/./") || (rawQuery != null && !QUERY.matcher(rawQuery).matches())) {
            throw new CrnException(400, "not a path of the CCN API", Map.of("path", cut(rawPath)));
        }
        URI uri = URI.create(base + rawPath + (rawQuery == null ? "" : "?" + rawQuery));
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            // the client's timeout ends at the headers: a body that trickles is cut at the same bound
            var done = new java.util.concurrent.atomic.AtomicBoolean();
            try (InputStream in = r.body()) {
                java.util.concurrent.CompletableFuture.delayedExecutor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .execute(() -> {
                            if (!done.get()) closeQuietly(in);
                        });
                body = in.readNBytes(maxBytes + 1);
            } catch (IOException e) {
                throw new CrnException(504, "the CCN's answer did not arrive within " + timeout.toMillis() + " ms");
            } finally {
                done.set(true);
            }
            if (body.length > maxBytes) {
                throw new CrnException(502, "the CCN's answer is larger than the guest API forwards (" + maxBytes + " bytes)",
                        Map.of("limit", maxBytes));
            }
            return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse("application/octet-stream"), body);
        } catch (HttpTimeoutException e) {
            throw new CrnException(504, "the CCN did not answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            throw new CrnException(502, "the CCN is not reachable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CrnException(503, "interrupted");
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the reader fails and answers 504
        }
    }

    private static String cut(String s) {
        return s.length() > 128 ? s.substring(0, 128) + "..." : s;
    }
}

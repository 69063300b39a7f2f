package org.aleph4j.scheduler.console;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The console's calls to the CCN and the CRNs: GET only, each bounded in time as a whole (headers and
 * body) and in size, so a slow or hostile node can neither hold a page nor fill the memory.
 */
final class Outbound implements AutoCloseable {
    /** A response: status, content type (may be null) and the body's bytes. */
    record Response(int status, String contentType, byte[] body) {}

    private final HttpClient http;
    private final Duration timeout;

    Outbound(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    /** GETs {@code uri} with only {@code headers}; throws IOException on timeout, a larger body or no answer. */
    Response get(URI uri, Map<String, String> headers, int maxBytes) throws IOException {
        String scheme = uri.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) throw new IOException("not an http(s) URL: " + uri);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).GET();
        headers.forEach(b::header);
        CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(b.build(),
                info -> HttpResponse.BodySubscribers.fromSubscriber(new Bounded(maxBytes), Bounded::bytes));
        try {
            HttpResponse<byte[]> r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (r.body() == null) throw new IOException("the answer of " + uri + " is larger than " + maxBytes + " bytes");
            return new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null), r.body());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IOException("no answer from " + uri + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new IOException(e.getCause() == null ? e.toString() : e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new IOException("interrupted");
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    /** Collects at most {@code max} bytes; beyond that it cancels the body and yields null. */
    private static final class Bounded implements Flow.Subscriber<List<ByteBuffer>> {
        private final int max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private Flow.Subscription subscription;
        private boolean overflow;
        private final CompletableFuture<byte[]> done = new CompletableFuture<>();

        Bounded(int max) {
            this.max = max;
        }

        byte[] bytes() {
            return done.getNow(null);
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (overflow) return;
            for (ByteBuffer bb : items) {
                if (out.size() + bb.remaining() > max) {
                    overflow = true;
                    subscription.cancel();
                    done.complete(null);
                    return;
                }
                byte[] chunk = new byte[bb.remaining()];
                bb.get(chunk);
                out.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            if (!overflow) done.complete(out.toByteArray());
        }
    }
}

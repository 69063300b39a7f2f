package org.aleph4j.crn.gateway;

import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.execution.Execution;
import org.aleph4j.crn.execution.ExecutionSupervisor;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.aleph4j.message.HostLabels;
import org.aleph4j.message.ItemHashes;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes program requests ({@code /vm/{hash}/...} and {@code <base32>.<domain>} hosts) to the
 * program's execution and streams the exchange both ways. Persistent programs are never started
 * on demand: they are served by the lease holder, forwarded to it, or answered 503 while scheduled.
 * The program sees the client's {@code Host} and the {@code X-Forwarded-*} headers of
 * {@link #forwardingHeaders}; its response headers pass through once each (no default Content-Type).
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    public static final String FORWARDED = "X-Aleph4j-Forwarded";
    private static final Set<String> HOP = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
            "proxy-authorization", "proxy-authenticate", "proxy-connection", "host", "expect",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host");
    private static final Set<String> HOP_RESPONSE = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer",
            "upgrade", "proxy-authenticate", "proxy-connection", "server", "date", "content-length");
    private static final int SMALL_BODY = 1 << 20;

    private final ExecutionSupervisor supervisor;
    private final Preparer preparer;
    private final LeaseDirectory directory;
    private final String domainSuffix;
    private final java.util.function.Supplier<URI> self;
    private final HttpClient client;

    public Gateway(ExecutionSupervisor supervisor, Preparer preparer, LeaseDirectory directory, String domain,
                   java.util.function.Supplier<URI> self) {
        this.supervisor = supervisor;
        this.preparer = preparer;
        this.directory = directory;
        this.domainSuffix = "." + domain.toLowerCase(Locale.ROOT);
        this.self = self;
        this.client = new HttpClient();
        client.setFollowRedirects(false);
        client.setMaxConnectionsPerDestination(256);
        client.setIdleTimeout(30_000);
        client.setConnectTimeout(5_000);
        // the program's headers are passed through as they are
        client.setUserAgentField(null);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the proxy client", e);
        }
    }

    /**
     * Handles the request when it is addressed to a program and returns true; false lets the node's
     * own API handle it.
     */
    public boolean handle(Context ctx) throws Exception {
        HttpServletRequest req = ctx.req();
        String path = req.getRequestURI();
        if (path.startsWith("/vm/")) {
            int slash = path.indexOf('/', 4);
            String ref = slash < 0 ? path.substring(4) : path.substring(4, slash);
            String suffix = slash < 0 ? "/" : path.substring(slash);
            if (!ItemHashes.isItemHash(ref)) {
                throw new CrnException(400, "Invalid message reference: " + ref, Map.of("ref", ref));
            }
            serve(ctx, ref, suffix);
            return true;
        }
        String host = hostOf(req);
        if (host != null && host.endsWith(domainSuffix)) {
            String label = host.substring(0, host.length() - domainSuffix.length());
            if (label.contains(".")) return false;
            String hash = HostLabels.itemHash(label);
            if (hash == null) throw new CrnException(404, "Invalid message reference: " + label, Map.of("host", host));
            serve(ctx, hash, path);
            return true;
        }
        return false;
    }

    private static String hostOf(HttpServletRequest req) {
        String h = req.getHeader("Host");
        if (h == null) return null;
        int colon = h.lastIndexOf(':');
        if (colon > 0 && !h.endsWith("]")) h = h.substring(0, colon);
        return h.toLowerCase(Locale.ROOT);
    }

    private void serve(Context ctx, String hash, String suffix) throws Exception {
        String query = ctx.req().getQueryString();
        String target = suffix + (query == null ? "" : "?" + query);
        // a persistent execution held here answers first: no CCN call on the hot path
        Optional<Execution> held = supervisor.persistentRunning(hash);
        if (held.isPresent()) {
            proxyTo(ctx, held.get(), target);
            return;
        }
        ProgramInfo program = preparer.program(hash);
        if (program.persistent()) {
            servePersistentElsewhere(ctx, program, suffix, query);
            return;
        }
        Execution e = supervisor.acquire(program);
        try {
            proxyTo(ctx, e, target);
        } finally {
            supervisor.release(e);
        }
    }

    private void servePersistentElsewhere(Context ctx, ProgramInfo program, String suffix, String query) throws Exception {
        String hash = program.itemHash();
        if (supervisor.holdsPersistent(hash)) {
            throw scheduling(hash, "program is starting on this node");
        }
        Optional<URI> holder = directory.holderOf(hash);
        URI me = self.get();
        if (holder.isEmpty() || sameNode(holder.get(), me)) throw notHeld(hash);
        if (ctx.req().getHeader(FORWARDED) != null) {
            // the holder we were sent from thinks we hold it: never bounce requests around
            throw scheduling(hash, "program is being scheduled (forwarded request not held here)");
        }
        String base = holder.get().toString().replaceAll("/+$", "");
        URI uri = URI.create(base + "/vm/" + hash + suffix + (query == null ? "" : "?" + query));
        int seconds = program.content().resources().seconds() + 10;
        forward(ctx, uri, seconds, Map.of(FORWARDED, "1"), Map.of(), null);
    }

    private static boolean sameNode(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    /**
     * No node holds the program: 502 with its last error once the scheduler gave up every node it
     * failed on (as on-demand programs that fail to start answer), 503 with the scheduler's reason
     * while it cannot be placed, else 503 while it is being placed.
     */
    private CrnException notHeld(String hash) {
        Optional<LeaseDirectory.Unplaced> why = directory.unplaced(hash);
        if (why.isPresent() && why.get().failedEverywhere()) {
            return new CrnException(502, "program failed on every node it tried; last: " + why.get().lastError(),
                    Map.of("item_hash", hash, "reason", why.get().reason(), "last_error", why.get().lastError()));
        }
        if (why.isPresent() && why.get().reason() != null) {
            return new CrnException(503, "program cannot be scheduled: " + why.get().reason(),
                    Map.of("item_hash", hash, "reason", why.get().reason(), "retry_after", 30));
        }
        String last = why.map(LeaseDirectory.Unplaced::lastError).orElse(null);
        return last == null ? scheduling(hash, "program is being scheduled")
                : new CrnException(503, "program is being scheduled again; last failure: " + last,
                        Map.of("item_hash", hash, "last_error", last, "retry_after", 1));
    }

    private static CrnException scheduling(String hash, String message) {
        return new CrnException(503, message, Map.of("item_hash", hash, "retry_after", 1));
    }

    private void proxyTo(Context ctx, Execution e, String target) throws Exception {
        var prepared = e.prepared();
        Map<String, String> extra = e.persistent()
                ? Map.of("Aleph-Program-ItemHash", e.itemHash(), "Aleph-Program-Code-Ref", prepared.codeRef(),
                        "Aleph-Program-Epoch", Long.toString(e.epoch()))
                : Map.of("Aleph-Program-ItemHash", e.itemHash(), "Aleph-Program-Code-Ref", prepared.codeRef());
        URI uri = URI.create("http://" + e.address() + ":" + e.port() + target);
        int seconds = prepared.program().content().resources().seconds();
        forward(ctx, uri, seconds, Map.of(), extra, e);
    }

    /**
     * {@code Host}, {@code X-Forwarded-For}, {@code -Proto} and {@code -Host} of the request to the
     * program or to the lease holder. Host is the client's. X-Forwarded-For is the incoming chain with
     * the address that connected to this gateway appended (never replaced, never trusted): its last
     * entry is always added by a gateway, everything to its left is what the previous hop sent. Proto
     * and Host describe the original request: set from what this gateway received, replacing what a
     * client sent, except on a request another CRN forwarded ({@link #FORWARDED}), which carries the
     * values that CRN set.
     */
    static Map<String, String> forwardingHeaders(HttpServletRequest in) {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        String host = in.getHeader("Host");
        if (host != null) h.put("Host", host);
        java.util.List<String> chain = new java.util.ArrayList<>();
        Enumeration<String> xff = in.getHeaders("X-Forwarded-For");
        while (xff != null && xff.hasMoreElements()) {
            for (String hop : xff.nextElement().split(",")) {
                if (!hop.isBlank()) chain.add(hop.strip());
            }
        }
        chain.add(in.getRemoteAddr());
        h.put("X-Forwarded-For", String.join(", ", chain));
        boolean fromCrn = in.getHeader(FORWARDED) != null;
        String proto = fromCrn ? in.getHeader("X-Forwarded-Proto") : null;
        h.put("X-Forwarded-Proto", proto != null ? proto : in.getScheme());
        String forwardedHost = fromCrn ? in.getHeader("X-Forwarded-Host") : null;
        if (forwardedHost == null) forwardedHost = host;
        if (forwardedHost != null) h.put("X-Forwarded-Host", forwardedHost);
        return h;
    }

    /** Streams the request to {@code uri} and the answer back, bounded by {@code seconds}. */
    private void forward(Context ctx, URI uri, int seconds, Map<String, String> addRequest, Map<String, String> addResponse,
                         Execution e) throws Exception {
        HttpServletRequest in = ctx.req();
        Request out = client.newRequest(uri).method(in.getMethod()).timeout(seconds, TimeUnit.SECONDS);
        out.headers(h -> {
            Enumeration<String> names = in.getHeaderNames();
            while (names.hasMoreElements()) {
                String name = names.nextElement();
                if (HOP.contains(name.toLowerCase(Locale.ROOT))) continue;
                Enumeration<String> values = in.getHeaders(name);
                while (values.hasMoreElements()) h.add(name, values.nextElement());
            }
            forwardingHeaders(in).forEach(h::put);
            addRequest.forEach(h::put);
        });
        long length = in.getContentLengthLong();
        boolean chunked = "chunked".equalsIgnoreCase(in.getHeader("Transfer-Encoding"));
        if (length >= 0 && length <= SMALL_BODY) {
            out.headers(h -> h.remove("Content-Length"));
            if (length > 0) out.body(new BytesRequestContent(in.getContentType(), in.getInputStream().readNBytes((int) length)));
        } else if (false) {
            out.body(new BytesRequestContent(in.getContentType(), in.getInputStream().readNBytes((int) length)));
        } else if (length > 0 || chunked) {
            out.body(new InputStreamRequestContent(in.getContentType(), in.getInputStream()));
        }
        InputStreamResponseListener listener = new InputStreamResponseListener();
        out.send(listener);
        Response resp;
        try {
            resp = listener.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException t) {
            out.abort(t);
            throw new CrnException(504, "Program did not respond within `resource.seconds` (" + seconds + " s)",
                    Map.of("seconds", seconds));
        } catch (ExecutionException x) {
            Throwable cause = x.getCause();
            if (cause instanceof TimeoutException) {
                throw new CrnException(504, "Program did not respond within `resource.seconds` (" + seconds + " s)",
                        Map.of("seconds", seconds));
            }
            if (e != null) {
                supervisor.reportUnreachable(e, String.valueOf(cause));
                throw new CrnException(502, "VM did not respond and was shut down", Map.of("cause", String.valueOf(cause)));
            }
            throw new CrnException(502, "the node holding this program did not answer: " + cause, Map.of("node", uri.getHost() + ":" + uri.getPort()));
        }
        HttpServletResponse res = ctx.res();
        res.setStatus(resp.getStatus());
        // drops the framework's default text/plain: the program's own headers go out once, as it sent them
        // (Jetty writes Content-Type in its canonical spelling: "a/b;charset=x" for "a/b; charset=x")
        res.setContentType(null);
        for (HttpField f : resp.getHeaders()) {
            if (HOP_RESPONSE.contains(f.getLowerCaseName())) continue;
            res.addHeader(f.getName(), f.getValue());
        }
        long respLength = resp.getHeaders().getLongField("Content-Length");
        if (respLength >= 0) res.setContentLengthLong(respLength);
        addResponse.forEach(res::setHeader);
        try (InputStream body = listener.getInputStream()) {
            OutputStream os = res.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = body.read(buf)) >= 0) {
                os.write(buf, 0, n);
                // small bodies go out with the headers; large ones stream as they come
                if (body.available() == 0) os.flush();
            }
        } catch (IOException io) {
            // the status line is gone already; the client sees a truncated body
            log.debug("response of {} interrupted: {}", uri, io.toString());
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception ignored) {
            // shutting down
        }
    }
}

package org.aleph4j.crn.gateway;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.execution.Execution;
import org.aleph4j.crn.execution.ExecutionSupervisor;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.aleph4j.message.HostLabels;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes program requests ({@code /vm/{hash}/...} and {@code <base32>.<domain>} hosts) to the
 * program's execution and streams the exchange both ways; every other request goes on to the
 * wrapped handler (the node's Javalin API). It is a plain Jetty handler in front of Javalin's servlet
 * stack, and the forwarding is Jetty's asynchronous {@link ProxyHandler}: no servlet request, no
 * blocking copy, content flows chunk by chunk with back-pressure both ways.
 *
 * <p>Persistent programs are never started on demand: they are served by the lease holder, forwarded
 * to it, or answered 503 while scheduled. The program sees the client's {@code Host} and the
 * {@code X-Forwarded-*} headers of {@link #forwardingHeaders}; its response headers pass through
 * once each, as it sent them.
 */
public final class Gateway extends Handler.Wrapper {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    public static final String FORWARDED = "X-Aleph4j-Forwarded";
    /** Request headers not passed on: hop-by-hop ones, and those the gateway sets itself. */
    private static final Set<String> HOP = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
            "proxy-authorization", "proxy-authenticate", "proxy-connection", "host", "expect",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host");
    /** Response headers of the program not passed on (Jetty frames the body and writes its own Date, and the node its Server). */
    private static final Set<String> HOP_RESPONSE = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer",
            "upgrade", "proxy-authenticate", "proxy-connection", "server", "date");

    private final ExecutionSupervisor supervisor;
    private final Preparer preparer;
    private final LeaseDirectory directory;
    private final String domainSuffix;
    private final Supplier<URI> self;
    private final HttpField server;
    private final Forwarder forwarder = new Forwarder();

    /** {@code serverHeader}: the node's {@code Server} header, on its answers and the programs'. */
    public Gateway(ExecutionSupervisor supervisor, Preparer preparer, LeaseDirectory directory, String domain,
                   Supplier<URI> self, String serverHeader) {
        this.supervisor = supervisor;
        this.preparer = preparer;
        this.directory = directory;
        this.domainSuffix = "." + domain.toLowerCase(Locale.ROOT);
        this.self = self;
        this.server = new HttpField(HttpHeader.SERVER, serverHeader);
        // no Via header is added: this only spares the proxy its host name lookup at start
        forwarder.setViaHost("aleph4j-crn");
        // the client's I/O on its own platform pool: sharing the node's virtual threads (selectors included) or a
        // hybrid pool (platform selectors, virtual handlers) measured the same within this machine's noise
        // started and stopped with the server, as a bean of this handler
        addBean(forwarder);
    }

    @Override
    public void setServer(org.eclipse.jetty.server.Server s) {
        super.setServer(s);
        forwarder.setServer(s);
    }

    /** Where a program request goes, and what the gateway adds on the way. */
    private record Target(HttpURI uri, int seconds, Execution execution, boolean forwarded) {}

    /** The client's request with its route: the proxy's hooks get it back as the request they handle. */
    private static final class Exchange extends Request.Wrapper {
        final Target target;
        private final HttpFields headers;

        Exchange(Request request, Target target) {
            super(request);
            this.target = target;
            HttpFields in = request.getHeaders();
            // the body is read at once (Jetty answers a client's 100-continue then), so the proxy must not wait for one
            this.headers = in.contains(HttpHeader.EXPECT) ? HttpFields.build(in).remove(HttpHeader.EXPECT).asImmutable() : in;
        }

        @Override
        public HttpFields getHeaders() {
            return headers;
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        String ref = null;
        String suffix = path;
        String label = null;
        if (path.startsWith("/vm/")) {
            int slash = path.indexOf('/', 4);
            ref = slash < 0 ? path.substring(4) : path.substring(4, slash);
            suffix = slash < 0 ? "/" : path.substring(slash);
        } else {
            label = programLabel(request.getHeaders().get(HttpHeader.HOST));
            if (label == null) return super.handle(request, response, callback);
        }
        response.getHeaders().put(server);
        Target target;
        try {
            String hash;
            if (ref != null) {
                if (!ItemHashes.isItemHash(ref)) throw new CrnException(400, "Invalid message reference: " + ref, Map.of("ref", ref));
                hash = ref;
            } else {
                hash = HostLabels.itemHash(label);
                if (hash == null) throw new CrnException(404, "Invalid message reference: " + label,
                        Map.of("host", String.valueOf(request.getHeaders().get(HttpHeader.HOST))));
            }
            String query = request.getHttpURI().getQuery();
            target = route(request, hash, suffix + (query == null ? "" : "?" + query));
        } catch (CrnException e) {
            writeError(response, callback, e);
            return true;
        } catch (RuntimeException e) {
            log.warn("routing {} failed", path, e);
            writeError(response, callback, new CrnException(500, "internal error: " + e));
            return true;
        }
        Execution onDemand = target.execution() != null && !target.execution().persistent() ? target.execution() : null;
        Callback done = onDemand == null ? callback : new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                supervisor.release(onDemand);
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                supervisor.release(onDemand);
                super.failed(x);
            }
        };
        try {
            forwarder.handle(new Exchange(request, target), response, done);
        } catch (IllegalArgumentException x) {
            // a target java.net.URI refuses (Jetty is more lenient): nothing was sent
            if (onDemand != null) supervisor.release(onDemand);
            writeError(response, callback, new CrnException(400, "invalid request target: " + x.getMessage(),
                    Map.of("path", path)));
        }
        return true;
    }

    /** The base32 label of a {@code <label>.<domain>} host, or null when the host is not a program's. */
    private String programLabel(String host) {
        if (host == null) return null;
        int colon = host.lastIndexOf(':');
        if (colon > 0 && !host.endsWith("]")) host = host.substring(0, colon);
        if (!host.regionMatches(true, host.length() - domainSuffix.length(), domainSuffix, 0, domainSuffix.length())) return null;
        String label = host.substring(0, host.length() - domainSuffix.length()).toLowerCase(Locale.ROOT);
        return label.isEmpty() || label.contains(".") ? null : label;
    }

    /**
     * The execution or node that serves {@code hash}. A warm execution costs two map lookups here; a
     * cold one blocks this (virtual) thread while it starts, and a program seen for the first time
     * while its message is fetched from the CCN.
     */
    private Target route(Request request, String hash, String target) {
        // a persistent execution held here answers first: no CCN call on the hot path
        Optional<Execution> held = supervisor.persistentRunning(hash);
        if (held.isPresent()) return toExecution(held.get(), target);
        ProgramInfo program = preparer.program(hash);
        if (program.persistent()) return toHolder(request, program, target);
        Execution e = supervisor.acquire(program);
        try {
            return toExecution(e, target);
        } catch (RuntimeException x) {
            supervisor.release(e);
            throw x;
        }
    }

    private static Target toExecution(Execution e, String target) {
        HttpURI uri = HttpURI.from("http://" + e.address() + ":" + e.port() + target);
        return new Target(uri, e.prepared().program().content().resources().seconds(), e, false);
    }

    private Target toHolder(Request request, ProgramInfo program, String target) {
        String hash = program.itemHash();
        if (supervisor.holdsPersistent(hash)) {
            throw scheduling(hash, "program is starting on this node");
        }
        Optional<URI> holder = directory.holderOf(hash);
        URI me = self.get();
        if (holder.isEmpty() || sameNode(holder.get(), me)) throw notHeld(hash);
        if (request.getHeaders().contains(FORWARDED)) {
            // the holder we were sent from thinks we hold it: never bounce requests around
            throw scheduling(hash, "program is being scheduled (forwarded request not held here)");
        }
        String base = holder.get().toString().replaceAll("/+$", "");
        HttpURI uri = HttpURI.from(base + "/vm/" + hash + target);
        return new Target(uri, program.content().resources().seconds() + 10, null, true);
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

    /**
     * {@code Host}, {@code X-Forwarded-For}, {@code -Proto} and {@code -Host} of the request to the
     * program or to the lease holder. Host is the client's. X-Forwarded-For is the incoming chain with
     * the address that connected to this gateway appended (never replaced, never trusted): its last
     * entry is always added by a gateway, everything to its left is what the previous hop sent. Proto
     * and Host describe the original request: set from what this gateway received, replacing what a
     * client sent, except on a request another CRN forwarded ({@link #FORWARDED}), which carries the
     * values that CRN set.
     */
    static void forwardingHeaders(Request in, HttpFields.Mutable out) {
        HttpFields h = in.getHeaders();
        String host = h.get(HttpHeader.HOST);
        if (host != null) out.put(HttpHeader.HOST, host);
        StringBuilder chain = new StringBuilder();
        for (String hops : h.getValuesList(HttpHeader.X_FORWARDED_FOR)) {
            for (String hop : hops.split(",")) {
                if (!hop.isBlank()) chain.append(hop.strip()).append(", ");
            }
        }
        chain.append(Request.getRemoteAddr(in));
        out.put(HttpHeader.X_FORWARDED_FOR, chain.toString());
        boolean fromCrn = h.contains(FORWARDED);
        String proto = fromCrn ? h.get(HttpHeader.X_FORWARDED_PROTO) : null;
        out.put(HttpHeader.X_FORWARDED_PROTO, proto != null ? proto : in.getHttpURI().getScheme());
        String forwardedHost = fromCrn ? h.get(HttpHeader.X_FORWARDED_HOST) : null;
        if (forwardedHost == null) forwardedHost = host;
        if (forwardedHost != null) out.put(HttpHeader.X_FORWARDED_HOST, forwardedHost);
    }

    /** Writes {@code {"error", "error_code", "details"}} (503s say when to retry), as the node API does. */
    private static void writeError(Response response, Callback callback, CrnException e) {
        if (response.isCommitted()) {
            callback.failed(e);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("error_code", e.errorCode());
        body.put("details", e.details());
        response.setStatus(e.status());
        HttpFields.Mutable h = response.getHeaders();
        h.remove(HttpHeader.CONTENT_LENGTH);
        h.put(HttpHeader.CONTENT_TYPE, "application/json");
        if (e.status() == 503) h.put(HttpHeader.RETRY_AFTER, String.valueOf(e.details().getOrDefault("retry_after", 1)));
        response.write(true, ByteBuffer.wrap(Json.write(body).getBytes(StandardCharsets.UTF_8)), callback);
    }

    /** Jetty's reverse proxy with the gateway's header rules, bounds and error answers. */
    private final class Forwarder extends ProxyHandler {
        @Override
        protected void configureHttpClient(HttpClient client) {
            // no redirects, no cookies, and (set by the proxy) no content decoding: the program's answer as it is
            super.configureHttpClient(client);
            client.setMaxConnectionsPerDestination(256);
            client.setIdleTimeout(30_000);
            client.setConnectTimeout(5_000);
            // the client's User-Agent only
            client.setUserAgentField(null);
        }

        @Override
        protected HttpURI rewriteHttpURI(Request request) {
            return ((Exchange) request).target.uri();
        }

        @Override
        protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request request, HttpURI uri) {
            return getHttpClient().newRequest(uri.toURI()).method(request.getMethod())
                    .timeout(((Exchange) request).target.seconds(), TimeUnit.SECONDS);
        }

        @Override
        protected void copyRequestHeaders(Request request, org.eclipse.jetty.client.Request out) {
            out.headers(h -> {
                for (HttpField f : request.getHeaders()) {
                    if (!HOP.contains(f.getLowerCaseName())) h.add(f);
                }
            });
        }

        @Override
        protected void addProxyHeaders(Request request, org.eclipse.jetty.client.Request out) {
            out.headers(h -> {
                forwardingHeaders(request, h);
                if (((Exchange) request).target.forwarded()) h.put(FORWARDED, "1");
            });
        }

        @Override
        protected HttpField filterServerToProxyResponseField(HttpField field) {
            return HOP_RESPONSE.contains(field.getLowerCaseName()) ? null : field;
        }

        @Override
        protected org.eclipse.jetty.client.Response.CompleteListener newServerToProxyResponseListener(Request request,
                org.eclipse.jetty.client.Request out, Response response, Callback callback) {
            Execution e = ((Exchange) request).target.execution();
            if (e == null) return super.newServerToProxyResponseListener(request, out, response, callback);
            return new ProxyResponseListener(request, out, response, callback) {
                @Override
                public void onHeaders(org.eclipse.jetty.client.Response answer) {
                    super.onHeaders(answer);
                    HttpFields.Mutable h = response.getHeaders();
                    h.put("Aleph-Program-ItemHash", e.itemHash());
                    h.put("Aleph-Program-Code-Ref", e.prepared().codeRef());
                    if (e.persistent()) h.put("Aleph-Program-Epoch", Long.toString(e.epoch()));
                }
            };
        }

        @Override
        protected void onServerToProxyResponseFailure(Request request, org.eclipse.jetty.client.Request out,
                org.eclipse.jetty.client.Response answer, Response response, Callback callback, Throwable failure) {
            Target target = ((Exchange) request).target;
            if (response.isCommitted()) {
                // the status line is gone already; the client sees a truncated body
                log.debug("response of {} interrupted: {}", target.uri(), failure.toString());
                callback.failed(failure);
                return;
            }
            response.getHeaders().clear();
            response.getHeaders().put(server);
            if (failure instanceof TimeoutException) {
                writeError(response, callback, new CrnException(504, "Program did not respond within `resource.seconds` ("
                        + target.seconds() + " s)", Map.of("seconds", target.seconds())));
            } else if (target.execution() != null) {
                // waits (bounded) for the crashed program's watchdog: not on the client's I/O thread
                Thread.ofVirtual().start(() -> {
                    supervisor.reportUnreachable(target.execution(), String.valueOf(failure));
                    writeError(response, callback, new CrnException(502, "VM did not respond and was shut down",
                            Map.of("cause", String.valueOf(failure))));
                });
            } else {
                writeError(response, callback, new CrnException(502, "the node holding this program did not answer: " + failure,
                        Map.of("node", target.uri().getHost() + ":" + target.uri().getPort())));
            }
        }
    }
}

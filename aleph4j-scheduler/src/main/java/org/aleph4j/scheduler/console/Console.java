package org.aleph4j.scheduler.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import jakarta.servlet.http.HttpServletResponse;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.engine.SchedulerError;
import org.aleph4j.scheduler.engine.VolumeService;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.SchedulerStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The web console of the scheduler: its static page under {@code /console/} and its endpoints under
 * {@code /api/v1/console/} (listed in docs/scheduler.md). Reads only; the one request it forwards is
 * the logs request, to the CRN that runs the program, carrying nothing but the owner's logs grant.
 */
public final class Console implements AutoCloseable {
    /** The header that carries a logs grant, from the page to the scheduler and on to the CRN. */
    public static final String GRANT_HEADER = "X-Aleph4j-Logs-Grant";
    /** Error code of a CCN or CRN that did not answer (HTTP 502/503). */
    public static final int UPSTREAM_UNREACHABLE = 40;
    /** Error code of an event stream refused because too many are open (HTTP 503). */
    public static final int TOO_MANY_STREAMS = 41;
    /** Default bound of open event streams. */
    public static final int MAX_STREAMS = 64;
    /** Outbound calls (CCN, CRNs) are bounded by this, headers and body together. */
    static final Duration OUTBOUND_TIMEOUT = Duration.ofSeconds(2);
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Pattern GRANT = Pattern.compile("[A-Za-z0-9_-]{1,8192}");
    private static final Set<String> MESSAGE_TYPES = Set.of("POST", "AGGREGATE", "STORE", "PROGRAM", "INSTANCE", "FORGET");
    private static final Map<String, String> FILES = Map.of("index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8", "style.css", "text/css; charset=utf-8");
    private static final int MAX_LOGS_BODY = 16 << 20;
    private static final long DIGEST_EVERY_MS = 900;
    private static final long PING_EVERY_MS = 15_000;

    private record StaticFile(byte[] bytes, String type, String etag) {}

    private final InstantSource clock;
    private final Outbound http = new Outbound(OUTBOUND_TIMEOUT);
    private final CcnView ccn;
    private final CrnSightings crns;
    private final ConsoleViews views;
    private final int maxStreams;
    private final long pollMs;
    private final AtomicInteger streams = new AtomicInteger();
    private final Map<String, StaticFile> files = new HashMap<>();
    private volatile boolean closed;
    private String digest = "";
    private long digestAtMs;

    /**
     * @param ccnUrl     the CCN it reads messages from and links to (null: none)
     * @param maxStreams bound of open event streams
     * @param pollMs     how often an event stream compares the state (about 1 s)
     */
    public Console(SchedulerStore store, AllocationEngine engine, URI ccnUrl, InstantSource clock, int maxStreams, long pollMs) {
        this.clock = clock;
        this.ccn = new CcnView(ccnUrl, http, clock);
        this.crns = new CrnSightings(http, clock);
        this.views = new ConsoleViews(store, engine, new VolumeService(engine, clock), ccn, crns, clock);
        this.maxStreams = maxStreams;
        this.pollMs = pollMs;
        for (var f : FILES.entrySet()) {
            try (InputStream in = Console.class.getResourceAsStream("/console/" + f.getKey())) {
                if (in == null) continue;
                byte[] bytes = in.readAllBytes();
                files.put(f.getKey(), new StaticFile(bytes, f.getValue(), "\"" + ItemHashes.sha256Hex(bytes).substring(0, 16) + "\""));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read the console's " + f.getKey(), e);
            }
        }
    }

    public Console(SchedulerStore store, AllocationEngine engine, URI ccnUrl, InstantSource clock) {
        this(store, engine, ccnUrl, clock, MAX_STREAMS, 1_000);
    }

    /** Registers the console's routes (called from the scheduler's server configuration). */
    public void routes(RoutesConfig r) {
        r.get("/console", this::page);
        r.get("/console/{file}", ctx -> serve(ctx, ctx.pathParam("file")));
        r.get("/api/v1/console/network", ctx -> json(ctx, views.network()));
        r.get("/api/v1/console/programs", this::programs);
        r.get("/api/v1/console/programs/{hash}", ctx -> json(ctx, views.program(hash(ctx.pathParam("hash")))
                .orElseThrow(() -> SchedulerError.notFound("unknown program: " + ctx.pathParam("hash")))));
        r.get("/api/v1/console/programs/{hash}/logs", this::logs);
        r.get("/api/v1/console/messages", this::messages);
        r.get("/api/v1/console/messages/{hash}", this::message);
        r.get("/api/v1/console/events", this::events);
        r.get("/api/v1/console/*", Console::notFound);
    }

    /**
     * With the console off, its paths answer 404 with the usual error body (Javalin's own 404 for a
     * path without a route is plain text).
     */
    public static void notFoundRoutes(RoutesConfig r) {
        r.get("/console", Console::notFound);
        r.get("/console/*", Console::notFound);
        r.get("/api/v1/console/*", Console::notFound);
    }

    private static void notFound(Context ctx) {
        throw SchedulerError.notFound("no such endpoint: " + ctx.path());
    }

    // ---------------------------------------------------------------- static page

    private void page(Context ctx) {
        if (!ctx.path().endsWith("/")) {
            headers(ctx);
            ctx.redirect("/console/", HttpStatus.FOUND);
            return;
        }
        serve(ctx, "index.html");
    }

    private void serve(Context ctx, String name) {
        StaticFile f = files.get(name);
        if (f == null) throw SchedulerError.notFound("no such console file: " + name);
        headers(ctx);
        ctx.header("Cache-Control", "no-cache");
        ctx.header("ETag", f.etag());
        if (f.etag().equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        ctx.status(200).contentType(f.type()).result(f.bytes());
    }

    private static void headers(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
    }

    private static void json(Context ctx, Object body) {
        ctx.header("Cache-Control", "no-store");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.status(200).contentType("application/json").result(Json.write(body));
    }

    // ---------------------------------------------------------------- lists

    private void programs(Context ctx) {
        String owner = blankToNull(ctx.queryParam("owner"));
        if (owner != null && !ADDRESS.matcher(owner).matches()) throw SchedulerError.badRequest("owner must be an address (0x and 40 hex digits)");
        String state = blankToNull(ctx.queryParam("state"));
        if (state != null && !ConsoleViews.STATES.contains(state)) {
            throw new SchedulerError(400, SchedulerError.INVALID_FORMAT, "state must be one of " + String.join(", ",
                    ConsoleViews.STATES.stream().sorted().toList()), Map.of("states", ConsoleViews.STATES.stream().sorted().toList()));
        }
        String q = blankToNull(ctx.queryParam("q"));
        if (q != null && (q.length() > 100 || q.chars().anyMatch(Character::isISOControl))) {
            throw SchedulerError.badRequest("q must be at most 100 printable characters");
        }
        int page = intParam(ctx, "page", 1, 1, 100_000);
        int size = intParam(ctx, "page_size", 100, 1, 500);
        json(ctx, views.programs(new ConsoleViews.Filter(owner, state, q), page, size));
    }

    private void messages(Context ctx) {
        int page = intParam(ctx, "page", 1, 1, 10_000);
        int size = intParam(ctx, "page_size", 20, 1, 100);
        MessageQuery.Builder q = MessageQuery.builder().pagination(size).page(page);
        String type = blankToNull(ctx.queryParam("type"));
        if (type != null) {
            if (!MESSAGE_TYPES.contains(type.toUpperCase(java.util.Locale.ROOT))) {
                throw SchedulerError.badRequest("type must be one of " + String.join(", ", MESSAGE_TYPES.stream().sorted().toList()));
            }
            q.msgTypes(type.toUpperCase(java.util.Locale.ROOT));
        }
        String sender = blankToNull(ctx.queryParam("sender"));
        if (sender != null) {
            if (!ADDRESS.matcher(sender).matches()) throw SchedulerError.badRequest("sender must be an address (0x and 40 hex digits)");
            q.addresses(sender);
        }
        CcnView.PageAnswer a = ccn.messages(q.build());
        List<Map<String, Object>> items = new ArrayList<>();
        if (a.json() != null) {
            for (JsonNode m : a.json().path("messages")) items.add(summary(m));
        }
        Map<String, Object> pagination = new LinkedHashMap<>();
        pagination.put("page", page);
        pagination.put("page_size", size);
        pagination.put("total", a.json() == null ? null : a.json().path("pagination_total").isNumber()
                ? a.json().path("pagination_total").asLong() : null);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("messages", items);
        body.put("pagination", pagination);
        body.put("fresh", a.fresh());
        body.put("ccn", ccn.status());
        body.put("time", clock.millis() / 1000.0);
        json(ctx, body);
    }

    private static Map<String, Object> summary(JsonNode m) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("item_hash", m.path("item_hash").asText(null));
        s.put("type", m.path("type").asText(null));
        s.put("sender", m.path("sender").asText(null));
        s.put("chain", m.path("chain").asText(null));
        s.put("channel", m.path("channel").asText(null));
        s.put("time", m.path("time").isNumber() ? m.path("time").asDouble() : null);
        // messages.json lists stored messages; only a forgotten one says so (forgotten_by)
        s.put("status", m.path("status").isTextual() ? m.path("status").asText() : m.has("forgotten_by") ? "forgotten" : "processed");
        JsonNode content = m.path("content");
        s.put("name", content.path("metadata").path("name").isTextual() ? content.path("metadata").path("name").asText() : null);
        return s;
    }

    private void message(Context ctx) {
        String hash = hash(ctx.pathParam("hash"));
        try {
            JsonNode answer = ccn.message(hash).orElseThrow(() -> SchedulerError.notFound("the CCN does not know " + hash));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("item_hash", hash);
            body.put("answer", answer);
            body.put("ccn", ccn.status());
            json(ctx, body);
        } catch (IOException e) {
            throw new SchedulerError(503, UPSTREAM_UNREACHABLE, "the CCN did not answer: " + e.getMessage(),
                    Map.of("ccn", ccn.status()));
        }
    }

    // ---------------------------------------------------------------- logs

    /**
     * Forwards the page's logs grant, and nothing else of its request, to {@code /control/machine/{hash}/logs}
     * of the CRN that runs (or last ran) the program, and relays the CRN's status and JSON body.
     */
    private void logs(Context ctx) {
        String hash = hash(ctx.pathParam("hash"));
        String grant = ctx.header(GRANT_HEADER);
        if (grant == null || grant.isBlank()) {
            throw SchedulerError.badRequest("the header " + GRANT_HEADER + " is required: open the link `aleph program logs "
                    + hash + " --open` prints");
        }
        if (!GRANT.matcher(grant.strip()).matches()) throw SchedulerError.badRequest("the logs grant must be base64url text");
        int limit = intParam(ctx, "limit", 1000, 1, 10_000);
        NodeRow node = views.logsNode(hash).orElseThrow(() -> SchedulerError.notFound("no node runs or ran " + hash));
        URI uri;
        try {
            uri = URI.create(node.url().replaceAll("/+$", "") + "/control/machine/" + hash + "/logs?limit=" + limit);
        } catch (IllegalArgumentException e) {
            throw new SchedulerError(502, UPSTREAM_UNREACHABLE, "the node's URL is not valid", Map.of("node_hash", node.nodeHash()));
        }
        Outbound.Response r;
        try {
            r = http.get(uri, Map.of(GRANT_HEADER, grant.strip()), MAX_LOGS_BODY);
        } catch (IOException e) {
            throw new SchedulerError(502, UPSTREAM_UNREACHABLE, "the node " + node.nodeHash() + " did not answer: " + e.getMessage(),
                    details(node));
        }
        if (r.contentType() == null || !r.contentType().toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new SchedulerError(502, UPSTREAM_UNREACHABLE, "the node " + node.nodeHash() + " answered " + r.status()
                    + " without JSON", details(node));
        }
        ctx.header("Cache-Control", "no-store");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.status(r.status()).contentType("application/json").result(r.body());
    }

    private static Map<String, Object> details(NodeRow n) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("node_hash", n.nodeHash());
        d.put("node_url", n.url());
        return d;
    }

    // ---------------------------------------------------------------- events

    /**
     * A server-sent event stream: {@code hello} at once, then {@code change} whenever the digest of the
     * scheduler's state or the CCN's newest message changes (compared about every second), and a
     * comment every 15 s. It writes to the servlet response directly, so nothing buffers or compresses it.
     */
    private void events(Context ctx) throws IOException {
        if (streams.incrementAndGet() > maxStreams) {
            streams.decrementAndGet();
            throw new SchedulerError(503, TOO_MANY_STREAMS, "too many console event streams are open (at most " + maxStreams
                    + ")", Map.of("max", maxStreams));
        }
        try {
            String last = digest();
            HttpServletResponse res = ctx.res();
            res.setStatus(200);
            res.setContentType("text/event-stream");
            res.setCharacterEncoding("UTF-8");
            res.setHeader("Cache-Control", "no-store");
            res.setHeader("X-Accel-Buffering", "no");
            res.setHeader("X-Content-Type-Options", "nosniff");
            OutputStream out = res.getOutputStream();
            send(out, "retry: 3000\nevent: hello\ndata: " + eventData() + "\n\n");
            long lastWrite = clock.millis();
            while (!closed) {
                Thread.sleep(pollMs);
                String now = digest();
                if (!now.equals(last)) {
                    last = now;
                    send(out, "event: change\ndata: " + eventData() + "\n\n");
                    lastWrite = clock.millis();
                } else if (clock.millis() - lastWrite >= PING_EVERY_MS) {
                    send(out, ": ping\n\n");
                    lastWrite = clock.millis();
                }
            }
        } catch (IOException | InterruptedException e) {
            // the page went away, or the server stops
        } finally {
            streams.decrementAndGet();
        }
    }

    private String eventData() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", clock.millis() / 1000.0);
        m.put("ccn", ccn.status());
        return Json.write(m);
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The digest of what the pages show, computed at most about once a second for all streams together. */
    private synchronized String digest() {
        long now = clock.millis();
        if (now - digestAtMs < Math.min(DIGEST_EVERY_MS, pollMs) && !digest.isEmpty()) return digest;
        String state;
        try {
            crns.refresh(views.activeNodes(), 0);
            state = views.storeDigest();
        } catch (RuntimeException e) {
            state = "store unavailable";
        }
        CcnView.PageAnswer newest = ccn.messages(MessageQuery.builder().pagination(1).page(1).build());
        String mark = newest.json() == null ? "" : newest.json().path("messages").path(0).path("item_hash").asText("")
                + newest.json().path("pagination_total").asText("");
        digest = state + "/" + mark + "/" + (newest.fresh() ? "ccn up" : "ccn down");
        digestAtMs = now;
        return digest;
    }

    /** Open event streams (for tests and metrics). */
    public int openStreams() {
        return streams.get();
    }

    // ---------------------------------------------------------------- input

    private static String hash(String raw) {
        if (raw == null || raw.length() > 100 || !ItemHashes.isItemHash(raw)) {
            throw SchedulerError.badRequest("not an item hash: " + (raw == null ? "" : raw.length() > 100 ? raw.substring(0, 100) + "…" : raw));
        }
        return raw;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static int intParam(Context ctx, String name, int dflt, int min, int max) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) return dflt;
        try {
            int i = Integer.parseInt(v.strip());
            if (i < min || i > max) throw SchedulerError.badRequest(name + " must be between " + min + " and " + max);
            return i;
        } catch (NumberFormatException e) {
            throw SchedulerError.badRequest(name + " must be an integer");
        }
    }

    @Override
    public void close() {
        closed = true;
        crns.close();
        ccn.close();
        http.close();
    }
}

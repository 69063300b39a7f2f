package org.aleph4j.scheduler.api;

import com.fasterxml.jackson.core.type.TypeReference;
import io.javalin.Javalin;
import io.javalin.http.Context;
import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.HeartbeatSession;
import org.aleph4j.client.scheduler.SessionGrant;
import org.aleph4j.message.Ticker;
import org.aleph4j.client.scheduler.MoveRecord;
import org.aleph4j.scheduler.reconcile.Reconciler;
import org.aleph4j.client.scheduler.NodeInfo;
import org.aleph4j.client.scheduler.Page;
import org.aleph4j.client.scheduler.MigrateRequest;
import org.aleph4j.client.scheduler.Release;
import org.aleph4j.client.scheduler.RestoreRequest;
import org.aleph4j.client.scheduler.SnapshotReport;
import org.aleph4j.message.KeySeal;
import org.aleph4j.scheduler.engine.VolumeService;
import org.aleph4j.client.scheduler.SchedulerAbout;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.engine.NodeRows;
import org.aleph4j.scheduler.engine.SchedulerError;
import org.aleph4j.scheduler.store.Records.AllocationRow;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Routes of the scheduler. Reads come from the database, so a standby answers them too. Heartbeat
 * answers (grants, and the refusal of a heartbeat naming another incarnation) are signed with the
 * scheduler's key over their exact bytes, in the same header CRNs sign their requests with.
 */
public final class SchedulerApi {
    private static final Logger log = LoggerFactory.getLogger(SchedulerApi.class);
    private final SchedulerStore store;
    private final AllocationEngine engine;
    private final RequestAuthenticator auth;
    private final InstantSource wallClock;
    private final EthAccount key;
    private final Supplier<String> leaderUrl;
    private final VolumeService volumes;
    private final MigrationRequests migrations;
    private java.util.function.Consumer<io.javalin.config.RoutesConfig> extraRoutes = r -> {};
    private final HeartbeatSessions sessions;
    private final Ticker ticker;
    private final AnswerSigner signer;

    /**
     * @param key       signs heartbeat answers; its address is what CRNs trust
     * @param leaderUrl the leader's URL as last known (no database read)
     */
    public SchedulerApi(SchedulerStore store, AllocationEngine engine, RequestAuthenticator auth, InstantSource wallClock,
                        EthAccount key, Supplier<String> leaderUrl) {
        this(store, engine, auth, wallClock, key, leaderUrl, Ticker.system(),
                new HeartbeatSessions(HeartbeatSessions.LIFETIME, HeartbeatSessions.MAX_SESSIONS));
    }

    /** With the ticker that times sessions and the session table given (tests shorten their lifetime). */
    public SchedulerApi(SchedulerStore store, AllocationEngine engine, RequestAuthenticator auth, InstantSource wallClock,
                        EthAccount key, Supplier<String> leaderUrl, Ticker ticker, HeartbeatSessions sessions) {
        this.ticker = ticker;
        this.sessions = sessions;
        this.signer = new AnswerSigner(key);
        this.wallClock = wallClock;
        this.store = store;
        this.engine = engine;
        this.auth = auth;
        this.key = key;
        this.leaderUrl = leaderUrl;
        this.volumes = new VolumeService(engine, wallClock);
        this.migrations = new MigrationRequests(store, engine);
    }

    /** Routes another capability adds to the server (the console), registered by {@link #create}. */
    public SchedulerApi withRoutes(java.util.function.Consumer<io.javalin.config.RoutesConfig> routes) {
        this.extraRoutes = routes;
        return this;
    }

    /** A configured (not started) Javalin server with every route and the exception mapper. */
    public Javalin create(String host, int port) {
        return Javalin.create(cfg -> {
            cfg.jetty.host = host;
            cfg.jetty.port = port;
            cfg.concurrency.useVirtualThreads = true;
            cfg.http.maxRequestSize = 1 << 20;
            cfg.startup.showJavalinBanner = false;
            var r = cfg.routes;
            r.post("/api/v1/heartbeat", this::heartbeat);
            r.post("/api/v1/release", ctx -> json(ctx, 200,
                    engine.release(auth.verify(ctx.bodyAsBytes(), ctx.header(SchedulerClient.SIGNATURE_HEADER), Release.class))));
            r.post("/api/v1/volumes/restore", this::restore);
            r.post("/api/v1/volumes/snapshots", ctx -> json(ctx, 200, volumes.accept(
                    auth.verify(ctx.bodyAsBytes(), ctx.header(SchedulerClient.SIGNATURE_HEADER), SnapshotReport.class))));
            r.post("/api/v1/vms/{hash}/migrate", ctx -> json(ctx, 200, migrations.ask(ctx.pathParam("hash"),
                    auth.verifyUser(ctx.bodyAsBytes(), ctx.header(SchedulerClient.SIGNATURE_HEADER), MigrateRequest.class))));
            r.get("/api/v0/allocation/{hash}", ctx -> json(ctx, 200, allocation(ctx.pathParam("hash"))
                    .orElseThrow(() -> SchedulerError.notFound("VM not allocated: " + ctx.pathParam("hash")))));
            r.get("/api/v0/plan", ctx -> json(ctx, 200, plan()));
            r.get("/api/v0/nodes", ctx -> json(ctx, 200, Map.of("nodes", nodesV0())));
            r.get("/api/v1/vms", this::vms);
            r.get("/api/v1/vms/{hash}", ctx -> json(ctx, 200, vm(ctx.pathParam("hash"))
                    .orElseThrow(() -> SchedulerError.notFound("unknown VM: " + ctx.pathParam("hash")))));
            r.get("/api/v1/nodes", this::nodes);
            r.get("/api/v1/nodes/{hash}", ctx -> json(ctx, 200, node(ctx.pathParam("hash"))
                    .orElseThrow(() -> SchedulerError.notFound("unknown node: " + ctx.pathParam("hash")))));
            r.get("/api/v1/leader", ctx -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("leading", engine.leading());
                body.put("leader_url", leaderUrl.get());
                json(ctx, 200, body);
            });
            r.get("/api/v1/about", ctx -> json(ctx, 200, new SchedulerAbout(key.address().toLowerCase(), engine.leading(),
                    leaderUrl.get(), engine.leading() ? engine.incarnation() : 0, engine.policy().leaseTtl().toMillis())));
            extraRoutes.accept(r);
            r.exception(SchedulerError.class, (e, ctx) -> error(ctx, e.httpStatus(), e.errorCode(), e.getMessage(), e.details()));
            r.exception(Exception.class, (e, ctx) -> {
                log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
                error(ctx, 500, -1, "internal error: " + e.getClass().getSimpleName(), Map.of());
            });
            r.error(404, "*", ctx -> {
                // a route's own 404 is already a JSON error body; Javalin's for a path without a route is plain text
                String type = ctx.res().getContentType();
                if (type == null || !type.startsWith("application/json")) {
                    error(ctx, 404, SchedulerError.NOT_FOUND, "no such endpoint: " + ctx.path(), Map.of());
                }
            });
        });
    }

    /**
     * A verified heartbeat: the grant, or the refusal that names the current incarnation, is signed so
     * the CRN can tell it comes from this scheduler (other errors are not: they grant nothing).
     */
    private void heartbeat(Context ctx) {
        byte[] body = ctx.bodyAsBytes();
        String sessionId = ctx.header(HeartbeatSession.SESSION_HEADER);
        if (sessionId != null) {
            // a session heartbeat: HMAC instead of signatures, both ways; its session is of the current incarnation
            HeartbeatSessions.Session session = sessions.find(sessionId, engine.incarnation(), ticker.nanos());
            Heartbeat hb = auth.verifySession(body, session, ctx.header(HeartbeatSession.MAC_HEADER), Heartbeat.class);
            if (hb.incarnation() != session.incarnation()) {
                throw new SchedulerError(401, HeartbeatSession.SESSION_ERROR, "the heartbeat names another incarnation than its session's",
                        Map.of());
            }
            HeartbeatReply reply = engine.heartbeat(hb);
            byte[] bytes = Json.write(reply).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ctx.status(200).contentType("application/json")
                    .header(HeartbeatSession.MAC_HEADER, HeartbeatSession.answerMac(session.secret(), bytes)).result(bytes);
            return;
        }
        String signature = ctx.header(SchedulerClient.SIGNATURE_HEADER);
        Heartbeat hb = auth.verify(body, signature, Heartbeat.class);
        try {
            HeartbeatReply reply = engine.heartbeat(hb);
            if (hb.asksSession()) reply = withSession(reply, body, signature);
            signed(ctx, 200, reply);
        } catch (SchedulerError e) {
            if (e.errorCode() != SchedulerError.STALE_INCARNATION) throw e;
            signed(ctx, e.httpStatus(), errorBody(e.errorCode(), e.getMessage(), e.details()));
        }
    }

    /**
     * Opens a session for the node of a signed heartbeat that asked for one: its secret is sealed to the
     * public key that signed the heartbeat, bound to the session id, the node and the incarnation that granted.
     */
    private HeartbeatReply withSession(HeartbeatReply reply, byte[] body, String signature) {
        java.math.BigInteger nodeKey = KeySeal.recoverPublicKey(body, signature);
        if (nodeKey == null) return reply; // cannot happen once the signature verified; then simply no session
        HeartbeatSessions.Session s = sessions.open(reply.nodeAddress(), reply.incarnation(), ticker.nanos());
        KeySeal.Sealed sealed = KeySeal.seal(s.secret(), nodeKey,
                HeartbeatSession.sealContext(s.id(), s.nodeAddress(), s.incarnation()));
        return new HeartbeatReply(reply.nodeAddress(), reply.leaseTtlMs(), reply.allocations(), reply.serverTime(),
                reply.schedulerAddress(), reply.incarnation(), reply.nonce(),
                new SessionGrant(s.id(), sealed, s.incarnation(), sessions.lifetimeMs()));
    }

    /** A restore plan, signed like a heartbeat answer, with each key sealed to the key that signed the request. */
    private void restore(Context ctx) {
        byte[] body = ctx.bodyAsBytes();
        String signature = ctx.header(SchedulerClient.SIGNATURE_HEADER);
        RestoreRequest r = auth.verify(body, signature, RestoreRequest.class);
        java.math.BigInteger nodeKey = KeySeal.recoverPublicKey(body, signature);
        if (nodeKey == null) throw new SchedulerError(401, SchedulerError.INVALID_SIGNATURE, "no public key in the signature", Map.of());
        signed(ctx, 200, volumes.restore(r, nodeKey, key.address().toLowerCase()));
    }

    private void signed(Context ctx, int status, Object body) {
        byte[] bytes = Json.write(body).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ctx.status(status).contentType("application/json").header(SchedulerClient.SIGNATURE_HEADER, signer.sign(bytes))
                .result(bytes);
    }

    private static Map<String, Object> errorBody(int code, String message, Map<String, Object> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("error_code", code);
        body.put("details", details);
        return body;
    }

    private static void error(Context ctx, int status, int code, String message, Map<String, Object> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("error_code", code);
        body.put("details", details);
        json(ctx, status, body);
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }

    // ---------------------------------------------------------------- v0 (upstream shapes)

    Optional<Allocation> allocation(String itemHash) {
        Optional<AllocationRow> a = store.allocation(itemHash);
        if (a.isEmpty()) return Optional.empty();
        Optional<NodeRow> n = store.node(a.get().nodeAddress());
        String url = n.map(NodeRow::url).orElse(null);
        return Optional.of(new Allocation(itemHash, "program", null,
                new Allocation.Period(a.get().sinceMs() / 1000.0, (int) engine.policy().leaseTtl().toSeconds()),
                new Allocation.Node(NodeRows.nodeHash(a.get().nodeAddress()), url, null, false), a.get().epoch()));
    }

    private Map<String, Object> plan() {
        Map<String, Object> byNode = new LinkedHashMap<>();
        Map<String, List<String>> vms = new HashMap<>();
        for (AllocationRow a : store.allocations()) {
            vms.computeIfAbsent(a.nodeAddress(), k -> new ArrayList<>()).add(a.itemHash());
        }
        for (NodeRow n : store.nodes()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("persistent_vms", vms.getOrDefault(n.address(), List.of()));
            entry.put("instances", List.of());
            entry.put("on_demand_vms", List.of());
            entry.put("jobs", List.of());
            byNode.put(n.nodeHash(), entry);
        }
        long now = wallClock.millis() / 1000;
        return Map.of("period", Map.of("start_timestamp", (double) (now - now % 60), "duration_seconds", 60),
                "plan", byNode);
    }

    private List<Map<String, Object>> nodesV0() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (NodeRow n : store.nodes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node_id", n.nodeHash());
            m.put("url", n.url());
            m.put("ipv6", null);
            m.put("supports_ipv6", false);
            out.add(m);
        }
        return out;
    }

    // ---------------------------------------------------------------- v1

    private void vms(Context ctx) {
        String owner = blankToNull(Optional.ofNullable(ctx.queryParam("owner")).orElse(ctx.queryParam("sender")));
        String prefix = blankToNull(ctx.queryParam("vm_hash"));
        int page = intParam(ctx, "page", 1, 1, Integer.MAX_VALUE);
        int size = intParam(ctx, "page_size", 20, 1, 1000);
        long total = store.countPrograms(owner, prefix);
        List<VmInfo> items = new ArrayList<>();
        for (ProgramRow p : store.programs(owner, prefix, (page - 1) * size, size)) items.add(vmInfo(p));
        json(ctx, 200, new Page<>(items, new Page.Pagination(total, page, size)));
    }

    Optional<VmInfo> vm(String itemHash) {
        return store.program(itemHash).map(this::vmInfo);
    }

    private VmInfo vmInfo(ProgramRow p) {
        Optional<AllocationRow> a = store.allocation(p.itemHash());
        Optional<NodeRow> n = a.flatMap(x -> store.node(x.nodeAddress()));
        String status;
        String scheduling;
        String reason = null;
        if ("removed".equals(p.status())) {
            status = "removed";
            scheduling = "removed";
            reason = p.removedReason();
        } else if (a.isPresent()) {
            status = "allocated";
            scheduling = p.migrateTarget() != null ? "migrating" : "scheduled";
        } else if (p.unschedulableReason() != null) {
            status = "pending";
            scheduling = "unschedulable";
            reason = p.unschedulableReason();
        } else {
            status = "pending";
            scheduling = "unscheduled";
        }
        List<MoveRecord> history = store.history(p.itemHash()).stream()
                .map(h -> new MoveRecord(h.timeMs() / 1000.0, h.fromNode() == null ? null : NodeRows.nodeHash(h.fromNode()),
                        h.toNode() == null ? null : NodeRows.nodeHash(h.toNode()), h.epoch(), h.reason()))
                .toList();
        return new VmInfo(p.itemHash(), "program", p.owner(), status, scheduling,
                a.map(x -> NodeRows.nodeHash(x.nodeAddress())).orElse(null),
                a.map(AllocationRow::nodeAddress).orElse(null), n.map(NodeRow::url).orElse(null),
                a.map(AllocationRow::epoch).orElse(p.epoch() == 0 ? null : p.epoch()),
                a.map(x -> x.sinceMs() / 1000.0).orElse(null),
                p.migrateTarget() == null || p.migrateTarget().isEmpty() ? null : NodeRows.nodeHash(p.migrateTarget()),
                reason, history, volumes.volumes(p), lastFailure(history));
    }

    /** The newest crash-loop reason of a program's history (what its copy last died of), or null. */
    static String lastFailure(List<MoveRecord> history) {
        for (int i = history.size() - 1; i >= 0; i--) {
            String r = history.get(i).reason();
            int at = r == null ? -1 : r.indexOf(Reconciler.CRASH_LOOP); // "revoking: crash loop on …"
            if (at >= 0) return r.substring(at);
        }
        return null;
    }

    private void nodes(Context ctx) {
        String hash = blankToNull(ctx.queryParam("hash"));
        List<NodeInfo> items = new ArrayList<>();
        for (NodeRow n : store.nodes()) {
            if (hash != null && !n.nodeHash().startsWith(hash.toLowerCase()) && !n.nodeHash().endsWith(hash.toLowerCase())
                    && !n.address().equalsIgnoreCase(hash)) {
                continue;
            }
            items.add(nodeInfo(n));
        }
        int size = intParam(ctx, "page_size", 100, 1, 1000);
        int page = intParam(ctx, "page", 1, 1, Integer.MAX_VALUE);
        int from = Math.min(items.size(), (page - 1) * size);
        json(ctx, 200, new Page<>(items.subList(from, Math.min(items.size(), from + size)),
                new Page.Pagination(items.size(), page, size)));
    }

    Optional<NodeInfo> node(String hash) {
        return store.nodeByHash(hash).map(this::nodeInfo);
    }

    private NodeInfo nodeInfo(NodeRow n) {
        long allocated = store.allocations().stream().filter(a -> a.nodeAddress().equals(n.address())).count();
        List<ExecutionReport> executions = List.of();
        try {
            if (n.executions() != null) executions = Json.MAPPER.readValue(n.executions(), new TypeReference<>() {});
        } catch (Exception ignored) {
            // a malformed stored report only hides the executions list
        }
        List<String> runtimes = List.of();
        try {
            runtimes = Json.MAPPER.readValue(n.runtimes(), new TypeReference<>() {});
        } catch (Exception ignored) {
            // idem
        }
        return new NodeInfo(n.nodeHash(), n.address(), n.url(), engine.nodeActive(n.address(), n.lastSeenMs()) ? "active" : "inactive",
                new Capacity(n.vcpus(), n.memoryMib(), n.diskMib()), runtimes, n.version(), n.lastSeenMs() / 1000.0,
                (int) allocated, executions, new ExecutorInfo(n.executor(), n.isolated()));
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
}

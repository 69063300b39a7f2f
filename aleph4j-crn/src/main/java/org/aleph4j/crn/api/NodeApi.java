package org.aleph4j.crn.api;

import static org.aleph4j.client.crn.OwnerAuth.SIGNED_OPERATION_HEADER;
import static org.aleph4j.client.crn.OwnerAuth.SIGNED_PUBKEY_HEADER;

import com.fasterxml.jackson.core.JsonGenerator;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.aleph4j.client.LogsGrant;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.ExecutorChoice;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.Executor;
import org.aleph4j.crn.execution.Execution;
import org.aleph4j.crn.execution.ExecutionState;
import org.aleph4j.crn.execution.ExecutionSupervisor;
import org.aleph4j.crn.logs.ProgramLogs;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.aleph4j.crn.runtime.InterpreterProbe;
import org.aleph4j.crn.runtime.LocalRuntime;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;

/** The node's own endpoints (reference §6.6 shapes) and the one place errors become JSON. */
public final class NodeApi {
    public static final String VERSION = "0.1.0";
    private final CrnConfig config;
    private final ExecutionSupervisor supervisor;
    private final Preparer preparer;
    private final ProgramLogs logs;
    private final RuntimeRegistry runtimes;
    private final Cgroups cgroups;
    private final Executor executor;
    private final SelfCheck selfCheck;
    private final OwnerAuth auth;
    private final InstantSource clock;
    private final InterpreterProbe interpreters;
    private final SignatureVerifier verifier = SignatureVerifier.best();

    public NodeApi(CrnConfig config, ExecutionSupervisor supervisor, Preparer preparer, ProgramLogs logs,
                   RuntimeRegistry runtimes, Executor executor, SelfCheck selfCheck, OwnerAuth auth, InstantSource clock) {
        this.config = config;
        this.supervisor = supervisor;
        this.preparer = preparer;
        this.logs = logs;
        this.runtimes = runtimes;
        this.cgroups = executor.cgroups();
        this.executor = executor;
        this.selfCheck = selfCheck;
        this.auth = auth;
        this.clock = clock;
        this.interpreters = new InterpreterProbe(clock);
    }

    public void register(RoutesConfig routes) {
        routes.get("/about", ctx -> json(ctx, 200, about()));
        routes.get("/about/executions/list", ctx -> json(ctx, 200, executionsV1()));
        routes.get("/v2/about/executions/list", ctx -> json(ctx, 200, executionsV2()));
        routes.get("/about/usage/system", ctx -> json(ctx, 200, usage()));
        routes.get("/status/check/fastapi", ctx -> {
            Map<String, Object> r = selfCheck.run();
            json(ctx, SelfCheck.healthy(r) ? 200 : 503, r);
        });
        routes.get("/control/machine/{ref}/logs", this::logs);
        routes.exception(CrnException.class, (e, ctx) -> error(ctx, e));
        routes.exception(Exception.class, (e, ctx) -> error(ctx, new CrnException(500, "internal error: " + e)));
        routes.error(404, ctx -> {
            if (ctx.res().isCommitted() || ctx.attribute("error-written") != null) return;
            error(ctx, new CrnException(404, "Not found: " + ctx.method() + " " + ctx.path()));
        });
    }

    /** Writes {@code {"error", "error_code", "details"}}; 503s say when to retry. */
    public static void error(Context ctx, CrnException e) {
        if (ctx.res().isCommitted()) return;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("error_code", e.errorCode());
        body.put("details", e.details());
        if (e.status() == 503) ctx.header("Retry-After", String.valueOf(e.details().getOrDefault("retry_after", 1)));
        ctx.attribute("error-written", true);
        json(ctx, e.status(), body);
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }

    private Map<String, Object> about() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", "aleph4j-crn");
        m.put("version", VERSION);
        m.put("executor", executor.name());
        m.put("executor_isolated", ExecutorChoice.isolates(executor.name()));
        m.put("volumes", supervisor.volumes().describe());
        m.put("executor_details", executor.describe());
        m.put("runtimes", runtimes());
        m.put("limits", Map.of("enforced", cgroups.enforced(), "mode", cgroups.mode().name().toLowerCase(),
                "description", cgroups.description()));
        m.put("capacity", Map.of("vcpus", config.capacity().vcpus(), "memory_mib", config.capacity().memoryMiB(),
                "disk_mib", config.capacity().diskMiB()));
        m.put("domain", config.domain());
        m.put("idle_timeout_seconds", config.idleTimeout().toSeconds());
        return m;
    }

    /**
     * Each runtime ref: its name, whether it is aleph4j's own or one of upstream's mapped here, what it
     * provides, and the interpreter that serves it as that interpreter reports itself.
     */
    private List<Map<String, Object>> runtimes() {
        List<Map<String, Object>> rts = new ArrayList<>();
        for (LocalRuntime r : runtimes.all()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("ref", r.ref());
            e.put("name", r.name());
            e.put("origin", r.origin().value());
            e.put("provides", r.provides());
            e.put("interfaces", List.of("asgi", "binary"));
            e.put("python", r.python().toString());
            e.put("served_by", interpreters.describe(r.python()));
            rts.add(e);
        }
        return rts;
    }

    /** Upstream's {@code vm_type}: {@code persistent_program} under a lease, {@code microvm} for on-demand programs. */
    static String vmType(Execution e) {
        return e.persistent() ? "persistent_program" : "microvm";
    }

    private Map<String, Object> executionsV1() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Execution e : supervisor.all()) {
            if (e.state() != ExecutionState.RUNNING) continue;
            Map<String, Object> v = new LinkedHashMap<>();
            Map<String, Object> net = new LinkedHashMap<>();
            net.put("ipv4", e.address() == null ? "127.0.0.1" : e.address());
            net.put("ipv6", null);
            v.put("networking", net);
            v.put("vm_type", vmType(e));
            v.put("executor", executor.name());
            v.put("awaiting_confidential_init", false);
            out.put(e.itemHash(), v);
        }
        return out;
    }

    private Map<String, Object> executionsV2() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Execution e : supervisor.all()) {
            if (out.containsKey(e.itemHash()) && !e.persistent()) continue;
            Map<String, Object> v = new LinkedHashMap<>();
            Map<String, Object> net = new LinkedHashMap<>();
            net.put("ipv4_network", null);
            net.put("host_ipv4", "127.0.0.1");
            net.put("ipv6_network", null);
            net.put("ipv6_ip", null);
            net.put("ipv4_ip", e.address() == null ? "127.0.0.1" : e.address());
            net.put("mapped_ports", Map.of());
            v.put("networking", net);
            Map<ExecutionState, Instant> t = e.times();
            Map<String, Object> status = new LinkedHashMap<>();
            status.put("defined_at", iso(t.get(ExecutionState.DEFINED)));
            status.put("preparing_at", iso(t.get(ExecutionState.PREPARING)));
            status.put("prepared_at", iso(t.get(ExecutionState.STARTING)));
            status.put("starting_at", iso(t.get(ExecutionState.STARTING)));
            status.put("started_at", iso(t.get(ExecutionState.RUNNING)));
            status.put("stopping_at", iso(t.get(ExecutionState.STOPPING)));
            status.put("stopped_at", iso(t.get(ExecutionState.STOPPED) != null ? t.get(ExecutionState.STOPPED) : t.get(ExecutionState.FAILED)));
            v.put("status", status);
            v.put("running", e.state() == ExecutionState.RUNNING);
            v.put("awaiting_confidential_init", false);
            v.put("vm_type", vmType(e));
            v.put("executor", executor.name());
            v.put("state", e.state().name());
            v.put("persistent", e.persistent());
            if (e.persistent()) v.put("epoch", e.epoch());
            if (e.reason() != null) v.put("reason", e.reason());
            out.put(e.itemHash(), v);
        }
        return out;
    }

    private static String iso(Instant i) {
        return i == null ? null : i.toString();
    }

    private Map<String, Object> usage() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        var os = ManagementFactory.getOperatingSystemMXBean();
        double[] load = {os.getSystemLoadAverage(), 0, 0};
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
            load = new double[]{Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2])};
        } catch (IOException | RuntimeException ignored) {
            // keep the JVM's figure
        }
        long[] freq = cpuFrequencies();
        m.put("cpu", Map.of("count", Runtime.getRuntime().availableProcessors(),
                "load_average", Map.of("load1", load[0], "load5", load[1], "load15", load[2]),
                "core_frequencies", Map.of("min", freq[0], "max", freq[1])));
        long total = 0;
        long available = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) total = Long.parseLong(l.replaceAll("\\D", "")) * 1024 / 1000;
                if (l.startsWith("MemAvailable:")) available = Long.parseLong(l.replaceAll("\\D", "")) * 1024 / 1000;
            }
        } catch (IOException ignored) {
            // zeros
        }
        m.put("mem", Map.of("total_kB", total, "available_kB", available));
        var store = Files.getFileStore(config.dataDir());
        m.put("disk", Map.of("total_kB", store.getTotalSpace() / 1000, "available_kB", store.getUsableSpace() / 1000));
        long nowSec = clock.instant().getEpochSecond();
        m.put("period", Map.of("start_timestamp", Instant.ofEpochSecond(nowSec - nowSec % 60).toString(), "duration_seconds", 60));
        String arch = System.getProperty("os.arch");
        m.put("properties", Map.of("cpu", Map.of("architecture", "amd64".equals(arch) ? "x86_64" : arch, "vendor", cpuVendor(),
                "features", List.of())));
        m.put("gpu", Map.of("devices", List.of(), "available_devices", List.of()));
        m.put("active", true);
        return m;
    }

    private static long[] cpuFrequencies() {
        long min = 0;
        long max = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("cpu MHz")) {
                    long v = Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).strip()));
                    min = min == 0 ? v : Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // zeros
        }
        return new long[]{min, max};
    }

    private static String cpuVendor() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("vendor_id")) {
                    String v = l.substring(l.indexOf(':') + 1).strip();
                    return switch (v) {
                        case "GenuineIntel" -> "GenuineIntel";
                        case "AuthenticAMD" -> "AuthenticAMD";
                        default -> v;
                    };
                }
            }
        } catch (IOException ignored) {
            // unknown
        }
        return "unknown";
    }

    /** Entries the logs endpoint returns when no {@code limit} is asked. */
    public static final int DEFAULT_LOG_LIMIT = 1000;
    /** The most entries one logs request returns; a larger {@code limit} is lowered to this. */
    public static final int MAX_LOG_LIMIT = 10_000;

    /**
     * Upstream's {@code GET /control/machine/{ref}/logs}: a JSON array of the program's last entries
     * (newest last), {@code limit} of them (default {@value #DEFAULT_LOG_LIMIT}, at most
     * {@value #MAX_LOG_LIMIT}), streamed as they are read from the files; with {@code since}, only
     * those stamped at or after it. Entries of file {@code node} are the node's start/stop markers.
     * The owner authenticates with upstream's {@code X-SignedPubKey}/{@code X-SignedOperation} or with
     * aleph4j's {@link LogsGrant} in {@value LogsGrant#HEADER} (the console's signed links).
     */
    private void logs(Context ctx) throws IOException {
        String ref = ctx.pathParam("ref");
        if (!ItemHashes.isItemHash(ref)) throw new CrnException(400, "Invalid message reference: " + ref);
        String grant = ctx.header(LogsGrant.HEADER);
        String address;
        if (grant != null) {
            try {
                address = LogsGrant.verify(grant, ref, clock, verifier).address();
            } catch (LogsGrant.InvalidGrantException e) {
                throw new CrnException(401, e.getMessage());
            }
        } else {
            address = auth.verify(ctx.header(SIGNED_PUBKEY_HEADER), ctx.header(SIGNED_OPERATION_HEADER), ctx.method().name(),
                    ctx.path());
        }
        if (!logs.exists(ref) && supervisor.all().stream().noneMatch(e -> e.itemHash().equals(ref))) {
            throw new CrnException(404, "No execution of " + ref + " on this node");
        }
        ProgramInfo program = preparer.program(ref);
        if (!program.owner().equalsIgnoreCase(address)) {
            // a grant is a bearer token: one not signed by the owner is no authentication at all
            if (grant != null) throw new CrnException(401, "Logs grant is not signed by the program's owner", Map.of("address", address));
            throw new CrnException(403, "Unauthorized sender", Map.of("address", address));
        }
        int limit = logLimit(ctx.queryParam("limit"));
        long since = logSince(ctx.queryParam("since"));
        try (ProgramLogs.Tail tail = logs.latest(ref, limit, since)) {
            ctx.status(200).contentType("application/json");
            try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(ctx.outputStream())) {
                g.writeStartArray();
                String prefix = "vm-" + ref + "-";
                tail.forEach(e -> {
                    g.writeStartObject();
                    g.writeStringField("SYSLOG_IDENTIFIER", prefix + e.file());
                    g.writeStringField("MESSAGE", e.message());
                    g.writeStringField("file", e.file());
                    g.writeStringField("__REALTIME_TIMESTAMP", Long.toString(e.realtimeMicros()));
                    g.writeEndObject();
                });
                g.writeEndArray();
            }
        }
    }

    static int logLimit(String raw) {
        if (raw == null || raw.isBlank()) return DEFAULT_LOG_LIMIT;
        long n;
        try {
            n = Long.parseLong(raw.strip());
        } catch (NumberFormatException e) {
            throw new CrnException(400, "limit must be a whole number of log entries, not " + abbreviate(raw),
                    Map.of("max", MAX_LOG_LIMIT));
        }
        if (n < 1) throw new CrnException(400, "limit must be at least 1", Map.of("max", MAX_LOG_LIMIT));
        return (int) Math.min(n, MAX_LOG_LIMIT);
    }

    /**
     * aleph4j's {@code since}: only entries stamped at or after this {@code __REALTIME_TIMESTAMP}
     * (unix microseconds, inclusive), for followers; absent → no bound.
     */
    static long logSince(String raw) {
        if (raw == null || raw.isBlank()) return Long.MIN_VALUE;
        try {
            long n = Long.parseLong(raw.strip());
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new CrnException(400, "since must be a __REALTIME_TIMESTAMP (unix microseconds, 0 or more), not " + abbreviate(raw),
                Map.of());
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}

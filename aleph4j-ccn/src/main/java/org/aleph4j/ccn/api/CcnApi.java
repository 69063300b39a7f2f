package org.aleph4j.ccn.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.admission.AddressKey;
import org.aleph4j.ccn.admission.RateLimiter;
import org.aleph4j.ccn.balance.Cost;
import org.aleph4j.ccn.balance.CostCalculator;
import org.aleph4j.ccn.files.FileStore;
import org.aleph4j.ccn.pipeline.Outcome;
import org.aleph4j.ccn.pipeline.MessageHandlers;
import org.aleph4j.ccn.pipeline.PipelineWorker;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageFilter;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.ccn.stream.MessageJson;
import org.aleph4j.ccn.stream.MessageStream;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Contents;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.InstanceContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.eclipse.jetty.websocket.api.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The CCN's HTTP routes (reference §3.2, §5) and the single mapper from errors to JSON responses. */
public final class CcnApi {
    private static final Logger log = LoggerFactory.getLogger(CcnApi.class);
    static final Duration SYNC_WAIT = Duration.ofSeconds(30);
    private static final long MAX_METADATA_BYTES = 1024 * 1024;
    private static final Set<String> STATUSES = Set.of("pending", "processed", "rejected", "forgotten", "removing", "removed");
    /** Bodies above this size (or of unknown length) count against {@link CcnLimits#maxConcurrentLargeBodies}. */
    static final long LARGE_BODY_BYTES = 64 * 1024;
    /** How long a large-body request may wait for a slot before it is answered 429. */
    private static final long LARGE_BODY_WAIT_MS = 2_000;
    /** add_json stores what upstream hashes: compact JSON with sorted keys. */
    private static final com.fasterxml.jackson.databind.ObjectMapper SORTED = Json.MAPPER.copy()
            .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private final CcnConfig config;
    private final Database db;
    private final MessageStore store;
    private final FileStore files;
    private final MessageHandlers pipeline;
    private final PipelineWorker processor;
    private final MessageStream stream;
    private final MessageValidator validator;
    private final PrometheusMeterRegistry meters;
    private final Map<String, MessageStream.Subscription> sockets = new ConcurrentHashMap<>();
    private final CcnLimits limits;
    private final InstantSource clock;
    private final RateLimiter anonymousUploads;
    private final Semaphore largeBodies;
    /** Serialises the check-and-commit of anonymous files so that concurrent uploads cannot overshoot the bound. */
    private final ReentrantLock anonymousStore = new ReentrantLock();

    public CcnApi(CcnConfig config, Database db, MessageStore store, FileStore files, MessageHandlers pipeline, PipelineWorker processor,
                  MessageStream stream, MessageValidator validator, PrometheusMeterRegistry meters) {
        this(config, db, store, files, pipeline, processor, stream, validator, meters, InstantSource.system(), System::nanoTime);
    }

    /** With injected wall-clock time and a monotonic nanosecond ticker (for rate limits). */
    public CcnApi(CcnConfig config, Database db, MessageStore store, FileStore files, MessageHandlers pipeline, PipelineWorker processor,
                  MessageStream stream, MessageValidator validator, PrometheusMeterRegistry meters, InstantSource clock,
                  LongSupplier nanos) {
        this.limits = config.limits();
        this.clock = clock;
        this.anonymousUploads = new RateLimiter(limits.anonymousUploadsPerMinute(), nanos);
        this.largeBodies = new Semaphore(limits.maxConcurrentLargeBodies());
        this.config = config;
        this.db = db;
        this.store = store;
        this.files = files;
        this.pipeline = pipeline;
        this.processor = processor;
        this.stream = stream;
        this.validator = validator;
        this.meters = meters;
    }

    /** Registers routes and error mapping on a Javalin configuration. */
    public void configure(JavalinConfig cfg) {
        cfg.concurrency.useVirtualThreads = true;
        // inline item_content is capped at 200 000 characters; JSON escaping can double it
        cfg.http.maxRequestSize = 2L * 1024 * 1024;
        var r = cfg.routes;
        r.post("/api/v0/messages", largeBody(this::postMessage));
        r.get("/api/v0/messages.json", ctx -> listMessages(ctx, null));
        r.get("/api/v0/messages/page/{page}", ctx -> listMessages(ctx, stripJson(ctx.pathParam("page"))));
        r.get("/api/v0/messages/{hash}", this::getMessage);
        r.get("/api/v0/messages/{hash}/status", this::getStatus);
        r.get("/api/v0/messages/{hash}/content", this::getContent);
        r.get("/api/v0/aggregates/{address}", this::getAggregates);
        r.post("/api/v0/storage/add_file", largeBody(this::addFile));
        r.post("/api/v0/storage/add_json", largeBody(this::addJson));
        r.get("/api/v0/storage/raw/{hash}", ctx -> raw(ctx, false));
        r.head("/api/v0/storage/raw/{hash}", ctx -> raw(ctx, true));
        r.get("/api/v0/addresses/{address}/balance", this::balance);
        r.get("/api/v0/price/{hash}", this::price);
        r.post("/api/v0/price/estimate", this::estimate);
        r.get("/api/v0/version", ctx -> json(ctx, 200, Map.of("version", "aleph4j-ccn 0.1.0")));
        r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(meters.scrape()));
        r.ws("/api/ws0/messages", this::websocket);
        r.exception(ApiException.class, (e, ctx) -> {
            if (e.retryAfterSeconds() > 0) ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            error(ctx, e.status(), e.errorCode(), e.getMessage(), e.details());
        });
        r.exception(MessageException.class, (e, ctx) -> error(ctx, 422, e.code().code(), e.getMessage(), e.details()));
        r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), -1, e.getMessage(), Map.of()));
        r.exception(Exception.class, (e, ctx) -> {
            log.error("internal error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, ErrorCode.INTERNAL_ERROR.code(), "internal error", Map.of());
        });
    }

    // ---- helpers

    /**
     * Runs {@code h} holding one of the {@link CcnLimits#maxConcurrentLargeBodies} slots when the request body is
     * large or of unknown length, so that many clients cannot make the node read (and buffer) many bodies at once.
     */
    private io.javalin.http.Handler largeBody(io.javalin.http.Handler h) {
        return ctx -> {
            long declared = ctx.req().getContentLengthLong();
            if (declared >= 0 && declared <= LARGE_BODY_BYTES) {
                h.handle(ctx);
                return;
            }
            if (!largeBodies.tryAcquire(LARGE_BODY_WAIT_MS, TimeUnit.MILLISECONDS)) {
                throw ApiException.tooManyRequests("too many large requests at once; try again shortly",
                        Map.of("max_concurrent", limits.maxConcurrentLargeBodies()), 1);
            }
            try {
                h.handle(ctx);
            } finally {
                largeBodies.release();
            }
        };
    }

    /** Charges one anonymous upload to the client's address; 429 with Retry-After past the rate. */
    private void admitAnonymous(Context ctx) {
        RateLimiter.Decision d = anonymousUploads.tryAcquire(AddressKey.ofLiteral(ctx.req().getRemoteAddr()));
        if (!d.allowed()) {
            throw ApiException.tooManyRequests("too many uploads without a STORE message from this address; "
                    + "upload with a signed STORE or retry later", Map.of("per_minute", limits.anonymousUploadsPerMinute()),
                    d.retryAfterSeconds());
        }
    }

    /**
     * Makes an anonymous file visible (24 h grace) unless that would take the files no STORE pins past
     * {@link CcnLimits#maxAnonymousStoreBytes}; a file the node already has costs nothing.
     */
    private void commitAnonymous(FileStore.Staged staged) throws IOException {
        anonymousStore.lock();
        try {
            if (!files.exists(staged.hash())) {
                long used = db.jdbi().withHandle(store::unpinnedBytes);
                long max = limits.maxAnonymousStoreBytes();
                if (used + staged.size() > max) {
                    double now = clock.millis() / 1000.0;
                    double next = db.jdbi().withHandle(store::firstGraceEnd).orElse(now + 3600);
                    long retry = (long) Math.min(86_400, Math.max(1, Math.ceil(next - now)));
                    throw ApiException.tooManyRequests("the node's space for files without a STORE message is full; "
                            + "upload with a signed STORE or retry later",
                            Map.of("max_bytes", max, "used_bytes", used, "size", staged.size()), retry);
                }
            }
            staged.commit();
            processor.fileArrived(staged.hash(), staged.size());
        } finally {
            anonymousStore.unlock();
        }
    }

    private static void error(Context ctx, int status, int code, String message, Map<String, Object> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message == null ? "error" : message);
        body.put("error_code", code);
        body.put("details", details == null ? Map.of() : details);
        json(ctx, status, body);
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }

    private static String stripJson(String s) {
        return s.endsWith(".json") ? s.substring(0, s.length() - 5) : s;
    }

    static int httpStatusOf(String status) {
        return switch (status) {
            case "pending" -> 202;
            case "processed", "removing" -> 200;
            case "rejected" -> 422;
            case "forgotten", "removed" -> 410;
            default -> 200;
        };
    }

    private static JsonNode parseBody(String text) throws MessageException {
        return Json.parseTree(text);
    }

    private static JsonNode detailsOf(MessageRow r) {
        JsonNode d = MessageJson.envelope(r).nullNode();
        if (r.details() == null) return Json.MAPPER.createObjectNode();
        try {
            d = Json.parseTree(r.details());
        } catch (MessageException e) {
            return Json.MAPPER.createObjectNode();
        }
        if (d instanceof ObjectNode o) {
            ObjectNode copy = o.deepCopy();
            copy.remove("message");
            return copy;
        }
        return d;
    }

    private static String reasonOf(MessageRow r) {
        if (r.details() == null) return null;
        try {
            return Json.parseTree(r.details()).path("message").asText(null);
        } catch (MessageException e) {
            return null;
        }
    }

    private MessageRow requireMessage(String hash) {
        return processor.find(hash).orElseThrow(() -> new ApiException(404, -1, "Message not found: " + hash, Map.of()));
    }

    // ---- POST /api/v0/messages (reference §5.1)

    private void postMessage(Context ctx) throws MessageException {
        JsonNode body = parseBody(ctx.body());
        if (!body.isObject() || !body.path("message").isObject()) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "the body must be {\"sync\": bool, \"message\": {...}}");
        }
        boolean sync = body.path("sync").asBoolean(false);
        MessageValidator.Validated v = validator.validate(body.get("message"));
        PipelineWorker.Result result = processor.submit(v.message(), sync ? SYNC_WAIT : Duration.ZERO);
        json(ctx, httpStatusOf(result.status()), postResponse(result));
    }

    private static Map<String, Object> postResponse(PipelineWorker.Result result) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("publication_status", Map.of("status", "success", "failed", List.of()));
        out.put("message_status", result.status());
        if ("rejected".equals(result.status())) addError(out, result);
        return out;
    }

    private static void addError(Map<String, Object> out, PipelineWorker.Result result) {
        JsonNode details = Json.MAPPER.createObjectNode();
        String reason = "message rejected";
        if (result.details() != null) {
            try {
                JsonNode d = Json.parseTree(result.details());
                reason = d.path("message").asText(reason);
                if (d instanceof ObjectNode o) {
                    ObjectNode c = o.deepCopy();
                    c.remove("message");
                    details = c;
                }
            } catch (MessageException ignored) {
                // details are our own JSON
            }
        }
        out.put("error", reason);
        out.put("error_code", result.errorCode());
        out.put("details", details);
    }

    // ---- reading messages (reference §5.3)

    private void getMessage(Context ctx) {
        MessageRow r = requireMessage(ctx.pathParam("hash"));
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("status", r.status());
        out.put("item_hash", r.itemHash());
        out.put("reception_time", r.receptionTime());
        switch (r.status()) {
            case "pending" -> {
                ArrayNode arr = out.putArray("messages");
                ObjectNode env = MessageJson.envelope(r);
                env.put("reception_time", r.receptionTime());
                arr.add(env);
            }
            case "rejected" -> {
                out.set("message", MessageJson.envelope(r));
                out.put("error_code", r.errorCode());
                out.set("details", detailsOf(r));
                String reason = reasonOf(r);
                if (reason != null) out.put("error", reason);
            }
            case "forgotten" -> {
                out.set("message", MessageJson.item(r));
                JsonNode by = MessageJson.item(r).get("forgotten_by");
                out.set("forgotten_by", by == null ? Json.MAPPER.createArrayNode() : by);
            }
            case "removing", "removed" -> {
                out.set("message", MessageJson.item(r));
                out.put("reason", r.reason() == null ? "balance_insufficient" : r.reason());
            }
            default -> out.set("message", MessageJson.item(r));
        }
        json(ctx, 200, out);
    }

    private void getStatus(Context ctx) {
        MessageRow r = requireMessage(ctx.pathParam("hash"));
        json(ctx, 200, Map.of("status", r.status(), "item_hash", r.itemHash(), "reception_time", r.receptionTime()));
    }

    private void getContent(Context ctx) throws MessageException {
        MessageRow r = requireMessage(ctx.pathParam("hash"));
        if (!"processed".equals(r.status()) && !"removing".equals(r.status())) {
            throw new ApiException(422, -1, "message " + r.itemHash() + " is " + r.status(), Map.of("status", r.status()));
        }
        JsonNode content = Json.parseTree(r.content());
        if ("POST".equals(r.type())) content = content.path("content").isMissingNode() ? Json.MAPPER.nullNode() : content.get("content");
        json(ctx, 200, content);
    }

    private static List<String> list(Map<String, List<String>> q, String... names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            List<String> vs = q.get(n);
            if (vs == null) continue;
            for (String v : vs) for (String part : v.split(",")) if (!part.isBlank()) out.add(part.trim());
        }
        return out;
    }

    private static String one(Map<String, List<String>> q, String... names) {
        for (String n : names) {
            List<String> vs = q.get(n);
            if (vs != null && !vs.isEmpty() && !vs.get(0).isBlank()) return vs.get(0).trim();
        }
        return null;
    }

    private static Double number(Map<String, List<String>> q, String... names) {
        String v = one(q, names);
        if (v == null) return null;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new ApiException(422, 0, names[0] + " must be a number, got " + v, Map.of());
        }
    }

    private static int integer(Map<String, List<String>> q, int def, int min, int max, String... names) {
        String v = one(q, names);
        if (v == null) return def;
        try {
            int i = Integer.parseInt(v);
            if (i < min || i > max) throw new NumberFormatException();
            return i;
        } catch (NumberFormatException e) {
            throw new ApiException(422, 0, names[0] + " must be an integer in " + min + ".." + max + ", got " + v, Map.of());
        }
    }

    /** Parses the filters of §5.3, with snake_case aliases. */
    static MessageFilter filter(Map<String, List<String>> q) {
        List<String> types = list(q, "msgTypes", "msg_types", "msgType", "msg_type");
        for (String t : types) {
            if (MessageType.parse(t) == null) throw new ApiException(422, 0, "unknown message type: " + t, Map.of());
        }
        List<String> statuses = list(q, "msgStatuses", "msg_statuses");
        for (String s : statuses) if (!STATUSES.contains(s)) throw new ApiException(422, 0, "unknown status: " + s, Map.of());
        return new MessageFilter(types, statuses, list(q, "addresses"), list(q, "owners"), list(q, "refs"),
                list(q, "hashes"), list(q, "channels"), list(q, "contentTypes", "content_types"),
                list(q, "contentKeys", "content_keys"), list(q, "contentHashes", "content_hashes"), list(q, "chains"),
                number(q, "startDate", "start_date"), number(q, "endDate", "end_date"));
    }

    private void listMessages(Context ctx, String pathPage) {
        Map<String, List<String>> q = ctx.queryParamMap();
        MessageFilter f = filter(q);
        // upstream reads pagination=0 as "no limit"; here it (and anything larger) means the largest page
        int requested = integer(q, 20, 0, Integer.MAX_VALUE, "pagination");
        int perPage = requested == 0 || requested > limits.maxPageSize() ? limits.maxPageSize() : requested;
        int page = pathPage != null ? parsePage(pathPage) : integer(q, 1, 1, Integer.MAX_VALUE, "page");
        String sortBy = one(q, "sortBy", "sort_by");
        if (sortBy != null && !sortBy.equals("time") && !sortBy.equals("tx-time")) {
            throw new ApiException(422, 0, "sortBy must be time or tx-time", Map.of());
        }
        int sortOrder = integer(q, -1, -1, 1, "sortOrder", "sort_order");
        if (sortOrder == 0) throw new ApiException(422, 0, "sortOrder must be -1 or 1", Map.of());
        MessageStore.Page result = db.jdbi().withHandle(h -> store.query(h, f, perPage, page, sortOrder));
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("messages");
        for (MessageRow r : result.rows()) arr.add(MessageJson.item(r));
        out.put("pagination_page", page);
        out.put("pagination_total", result.total());
        out.put("pagination_per_page", perPage);
        out.put("pagination_item", "messages");
        json(ctx, 200, out);
    }

    private static int parsePage(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p < 1) throw new NumberFormatException();
            return p;
        } catch (NumberFormatException e) {
            throw new ApiException(422, 0, "page must be a positive integer, got " + s, Map.of());
        }
    }

    // ---- aggregates (reference §5.3b)

    private void getAggregates(Context ctx) {
        String address = stripJson(ctx.pathParam("address"));
        List<String> keys = list(ctx.queryParamMap(), "keys");
        int limit = integer(ctx.queryParamMap(), 1000, 1, 1_000_000, "limit");
        ObjectNode data = db.jdbi().withHandle(h -> pipeline.aggregate(h, address, keys));
        if (data.isEmpty()) throw new ApiException(404, -1, "No aggregate found for " + address, Map.of());
        ObjectNode limited = Json.MAPPER.createObjectNode();
        var it = data.fields();
        for (int i = 0; it.hasNext() && i < limit; i++) {
            var e = it.next();
            limited.set(e.getKey(), e.getValue());
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("address", address);
        out.set("data", limited);
        json(ctx, 200, out);
    }

    // ---- files (reference §3.2)

    private void addFile(Context ctx) throws IOException, MessageException {
        try {
            receiveFile(ctx);
        } catch (ApiException e) {
            if (e.status() == 413) drain(ctx, 2 * Math.max(config.maxFileBytes(), config.maxUnauthenticatedFileBytes()));
            throw e;
        }
    }

    /**
     * Reads and drops what is left of a refused upload (up to {@code cap} bytes), so that clients which only
     * read the answer after sending everything see the 413 instead of a reset connection.
     */
    private static void drain(Context ctx, long cap) {
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while (total < cap && (n = in.read(buf)) > 0) total += n;
        } catch (IOException | RuntimeException e) {
            // the client went away; nothing to answer
        }
    }

    private void receiveFile(Context ctx) throws IOException, MessageException {
        String boundary = MultipartStream.boundaryOf(ctx.contentType());
        long hardLimit = Math.max(config.maxFileBytes(), config.maxUnauthenticatedFileBytes());
        long declared = ctx.req().getContentLengthLong();
        if (declared > hardLimit + MAX_METADATA_BYTES) {
            throw new ApiException(413, -1, "request of " + declared + " bytes exceeds the limit of " + hardLimit + " bytes",
                    Map.of("max_size", hardLimit));
        }
        InputStream body = ctx.req().getInputStream();
        if (boundary == null) {
            // raw body: an unauthenticated upload
            admitAnonymous(ctx);
            try (FileStore.Staged staged = stage(body, config.maxUnauthenticatedFileBytes())) {
                commitAnonymous(staged);
                json(ctx, 200, Map.of("status", "success", "hash", staged.hash(), "size", staged.size()));
            }
            return;
        }
        MultipartStream mp = new MultipartStream(body, boundary);
        String metadata = null;
        FileStore.Staged staged = null;
        try {
            MultipartStream.Part part;
            while ((part = mp.next()) != null) {
                if ("metadata".equals(part.name())) {
                    byte[] meta = part.body().readNBytes((int) MAX_METADATA_BYTES + 1);
                    if (meta.length > MAX_METADATA_BYTES) throw new ApiException(413, -1, "metadata part is too large", Map.of());
                    metadata = new String(meta, StandardCharsets.UTF_8);
                } else if ("file".equals(part.name()) && staged == null) {
                    // clients send metadata first; a file part without it is an anonymous upload
                    if (metadata == null) admitAnonymous(ctx);
                    staged = stage(part.body(), metadata != null ? config.maxFileBytes() : hardLimit);
                }
            }
            if (staged == null) throw new ApiException(422, 0, "the multipart body has no file part", Map.of());
            if (metadata == null) {
                if (staged.size() > config.maxUnauthenticatedFileBytes()) throw tooLarge(config.maxUnauthenticatedFileBytes());
                commitAnonymous(staged);
                json(ctx, 200, Map.of("status", "success", "hash", staged.hash(), "size", staged.size()));
                return;
            }
            if (staged.size() > config.maxFileBytes()) throw tooLarge(config.maxFileBytes());
            authenticatedUpload(ctx, metadata, staged);
        } finally {
            if (staged != null) staged.close();
        }
    }

    private static ApiException tooLarge(long limit) {
        return new ApiException(413, -1, "file is larger than the limit of " + limit + " bytes", Map.of("max_size", limit));
    }

    private FileStore.Staged stage(InputStream in, long limit) throws IOException {
        try {
            return files.stage(in, limit);
        } catch (FileStore.TooLargeException e) {
            throw tooLarge(e.limit());
        }
    }

    private void authenticatedUpload(Context ctx, String metadata, FileStore.Staged staged) throws IOException, MessageException {
        JsonNode meta = parseBody(metadata);
        if (!meta.path("message").isObject()) throw new MessageException(ErrorCode.INVALID_FORMAT, "metadata needs a message");
        boolean sync = meta.path("sync").asBoolean(false);
        AlephMessage m = MessageValidator.parseEnvelope(meta.get("message"));
        if (m.type() != MessageType.STORE) throw new MessageException(ErrorCode.INVALID_FORMAT, "add_file needs a STORE message");
        Content content = m.itemContent() != null ? MessageValidator.checkInline(m) : null;
        if (!(content instanceof StoreContent sc)) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "add_file needs an inline STORE message");
        }
        try {
            validator.checkSignature(m);
        } catch (MessageException e) {
            throw new ApiException(403, e.code().code(), e.getMessage(), e.details());
        }
        if (!staged.hash().equals(sc.itemHash())) {
            throw new ApiException(422, ErrorCode.INVALID_FORMAT.code(), "File hash does not match",
                    Map.of("item_hash", String.valueOf(sc.itemHash()), "file_hash", staged.hash()));
        }
        if (staged.size() > CostCalculator.FREE_STORE_BYTES && (sc.payment() == null || sc.payment().isHold())) {
            Outcome.Rejected shortfall = db.jdbi().withHandle(h -> pipeline.balanceShortfall(h, sc.address(),
                    CostCalculator.store(sc, staged.size(), pipeline.pricing(h))));
            if (shortfall != null) throw new ApiException(402, shortfall.code().code(), shortfall.reason(), shortfall.details());
        }
        boolean existed = files.exists(staged.hash());
        staged.commit();
        processor.fileArrived(staged.hash(), staged.size());
        PipelineWorker.Result result = processor.submit(m.withContent(null), sync ? SYNC_WAIT : Duration.ZERO);
        if ("rejected".equals(result.status()) && !existed) {
            // a refused STORE leaves no file behind unless something else pins it
            boolean pinned = db.jdbi().withHandle(h -> store.fileStillPinned(h, staged.hash()));
            if (!pinned) {
                files.delete(staged.hash());
                db.write(h -> {
                    store.deleteFile(h, staged.hash());
                    return null;
                });
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "rejected".equals(result.status()) ? "error" : "success");
        out.put("hash", staged.hash());
        out.put("message_status", result.status());
        if ("rejected".equals(result.status())) addError(out, result);
        json(ctx, httpStatusOf(result.status()), out);
    }

    private void addJson(Context ctx) throws IOException, MessageException {
        try {
            receiveJson(ctx);
        } catch (ApiException e) {
            if (e.status() == 413) drain(ctx, 2 * limits.maxJsonBytes());
            throw e;
        }
    }

    /** An anonymous JSON document: at most {@link CcnLimits#maxJsonBytes}, rate-limited, counted in the anonymous store. */
    private void receiveJson(Context ctx) throws IOException, MessageException {
        long max = limits.maxJsonBytes();
        if (ctx.req().getContentLengthLong() > max) throw tooLarge(max);
        admitAnonymous(ctx);
        byte[] bytes;
        try (InputStream in = ctx.req().getInputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        }
        if (bytes.length > max) throw tooLarge(max);
        JsonNode tree = parseBody(new String(bytes, StandardCharsets.UTF_8));
        bytes = null;
        // upstream re-serialises compactly with sorted keys and hashes those bytes
        byte[] canonical = SORTED.writeValueAsBytes(Json.MAPPER.treeToValue(tree, Object.class));
        try (FileStore.Staged staged = files.stage(new java.io.ByteArrayInputStream(canonical), Long.MAX_VALUE)) {
            commitAnonymous(staged);
            json(ctx, 200, Map.of("status", "success", "hash", staged.hash()));
        }
    }

    private void raw(Context ctx, boolean head) throws IOException {
        String hash = ctx.pathParam("hash");
        boolean known = ItemHashes.isSha256Hash(hash) && db.jdbi().withHandle(h -> store.fileSize(h, hash)).isPresent();
        if (!known || !files.exists(hash)) throw new ApiException(404, -1, "File not found: " + hash, Map.of());
        long size = files.size(hash);
        ctx.status(200).contentType("application/octet-stream").header("Content-Length", Long.toString(size));
        if (head) return;
        ctx.result(files.open(hash));
    }

    // ---- balances and prices (reference §5.4, §5.5)

    private void balance(Context ctx) {
        String address = ctx.pathParam("address");
        Map<String, Object> out = db.jdbi().withHandle(h -> {
            BigDecimal balance = store.balance(h, address).orElse(BigDecimal.ZERO);
            BigDecimal locked = BigDecimal.ZERO;
            for (MessageRow r : store.liveHolds(h, address)) locked = locked.add(new BigDecimal(r.costHold()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", address);
            m.put("balance", balance.doubleValue());
            m.put("details", null);
            m.put("locked_amount", locked.doubleValue());
            m.put("credit_balance", 0);
            m.put("credit_balance_details", null);
            return m;
        });
        ctx.status(200).contentType("application/json").result(Json.MAPPER.valueToTree(out).toString());
    }

    private void price(Context ctx) throws MessageException {
        MessageRow r = requireMessage(ctx.pathParam("hash"));
        switch (r.status()) {
            case "rejected" -> throw new ApiException(404, -1, "Message not found: " + r.itemHash(), Map.of());
            case "forgotten", "removed" -> throw new ApiException(410, -1, "Message " + r.itemHash() + " is " + r.status(), Map.of());
            // upstream answers 102 for pending; a final 1xx is not valid HTTP for most clients, so 202 it is
            case "pending" -> throw new ApiException(202, -1, "Message " + r.itemHash() + " is still pending", Map.of());
            default -> { }
        }
        if (!Set.of("PROGRAM", "INSTANCE", "STORE").contains(r.type())) {
            throw new ApiException(400, -1, "no price for " + r.type() + " messages", Map.of());
        }
        Content content = Contents.parse(MessageType.valueOf(r.type()), r.content());
        Cost cost = db.jdbi().withHandle(h -> costOf(h, content, r.size()));
        json(ctx, 200, priceJson(cost, paymentType(content), r.owner()));
    }

    private Cost costOf(org.jdbi.v3.core.Handle h, Content content, Long storedSize) {
        var pricing = pipeline.pricing(h);
        return switch (content) {
            case ProgramContent pc -> CostCalculator.program(pc, pricing, ref -> fileBytes(h, ref));
            case InstanceContent ic -> CostCalculator.instance(ic, pricing, ref -> fileBytes(h, ref));
            case StoreContent sc -> CostCalculator.store(sc, storedSize != null ? storedSize
                    : sc.size() != null ? sc.size() : store.fileSize(h, sc.itemHash()).orElse(0L), pricing);
            default -> throw new ApiException(400, -1, "no price for this message type", Map.of());
        };
    }

    private long fileBytes(org.jdbi.v3.core.Handle h, String ref) {
        String fileHash = store.tag(h, ref).map(MessageStore.FileTag::fileHash)
                .orElseGet(() -> store.find(h, ref).map(MessageRow::contentItemHash).orElse(null));
        return fileHash == null ? 0 : store.fileSize(h, fileHash).orElse(0L);
    }

    private static String paymentType(Content c) {
        return switch (c) {
            case ProgramContent pc -> pc.paymentType();
            case InstanceContent ic -> ic.payment() == null || ic.payment().type() == null ? "hold" : ic.payment().type();
            case StoreContent sc -> sc.payment() == null || sc.payment().type() == null ? "hold" : sc.payment().type();
            default -> "hold";
        };
    }

    private static Map<String, Object> priceJson(Cost cost, String paymentType, String owner) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("required_tokens", cost.hold().doubleValue());
        out.put("payment_type", paymentType);
        out.put("cost", cost.hold().setScale(18, RoundingMode.FLOOR).toPlainString());
        List<Map<String, Object>> detail = new ArrayList<>();
        for (Cost.Line l : cost.detail()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("type", l.type());
            d.put("name", l.name());
            d.put("cost_hold", Cost.truncate(l.costHold()).toPlainString());
            d.put("cost_stream", "0");
            d.put("cost_credit", "0");
            d.put("size_mib", l.sizeMib() == null ? null : l.sizeMib().stripTrailingZeros().toPlainString());
            detail.add(d);
        }
        out.put("detail", detail);
        out.put("charged_address", owner);
        return out;
    }

    private void estimate(Context ctx) throws MessageException {
        JsonNode body = parseBody(ctx.body());
        JsonNode msg = body.path("message");
        if (!msg.isObject()) throw new MessageException(ErrorCode.INVALID_FORMAT, "the body must be {\"message\": {...}}");
        MessageType type = MessageType.parse(msg.path("type").asText(null));
        if (type == null) throw new MessageException(ErrorCode.INVALID_FORMAT, "unknown message type: " + msg.path("type").asText(""));
        JsonNode tree = msg.path("content").isObject() ? msg.get("content")
                : msg.path("item_content").isTextual() ? Json.parseTree(msg.path("item_content").asText()) : null;
        if (tree == null) throw new MessageException(ErrorCode.INVALID_FORMAT, "the message needs content or item_content");
        Content content = Contents.parse(type, tree);
        Long size = tree.path("estimated_size_mib").canConvertToLong()
                ? tree.path("estimated_size_mib").asLong() * CcnConfig.MIB : null;
        Cost cost = db.jdbi().withHandle(h -> costOf(h, content, size));
        json(ctx, 200, priceJson(cost, paymentType(content), content.address()));
    }

    // ---- websocket (reference §5.3, aleph4j status frames)

    private void websocket(WsConfig ws) {
        ws.onConnect(ctx -> {
            MessageFilter f;
            Double since;
            int history;
            try {
                Map<String, List<String>> q = ctx.queryParamMap();
                f = filter(q);
                since = number(q, "startDate", "start_date");
                history = integer(q, 10, 0, 199, "history");
                f = new MessageFilter(f.types(), f.statuses(), f.senders(), f.owners(), f.refs(), f.hashes(), f.channels(),
                        f.contentTypes(), f.contentKeys(), f.contentHashes(), f.chains(), null, null);
            } catch (ApiException e) {
                ctx.closeSession(1008, e.getMessage());
                return;
            }
            MessageFilter filter = f;
            Double from = since;
            int latest = Math.min(history, limits.maxStreamHistory());
            // history is read page by page by the subscriber's sender thread, never all at once
            MessageStream.History source = from != null
                    ? (after, limit) -> db.jdbi().withHandle(h -> store.historyPage(h, filter, from, after, limit))
                    : (after, limit) -> after != null ? List.of() : db.jdbi().withHandle(h -> store.latest(h, filter, latest));
            MessageStream.Sink sink = new MessageStream.Sink() {
                @Override
                public void send(String text) throws Exception {
                    Callback.Completable done = new Callback.Completable();
                    ctx.session.sendText(text, done);
                    done.get(30, TimeUnit.SECONDS);
                }

                @Override
                public void close(int code, String reason) {
                    try {
                        ctx.closeSession(code, reason);
                    } catch (RuntimeException ignored) {
                        // already closed
                    }
                }
            };
            MessageStream.Subscription sub;
            try {
                sub = stream.subscribe(filter, AddressKey.of(ctx.session.getRemoteSocketAddress()), sink, source);
            } catch (MessageStream.RefusedException e) {
                ctx.closeSession(MessageStream.TRY_AGAIN_LATER, e.getMessage());
                return;
            }
            sockets.put(ctx.sessionId(), sub);
            if (!ctx.session.isOpen()) {
                // gone while connecting: its slot must not outlive it
                sockets.remove(ctx.sessionId());
                sub.close();
                return;
            }
            ctx.enableAutomaticPings(30, TimeUnit.SECONDS);
        });
        ws.onClose(ctx -> {
            MessageStream.Subscription s = sockets.remove(ctx.sessionId());
            if (s != null) s.close();
        });
        ws.onError(ctx -> {
            MessageStream.Subscription s = sockets.remove(ctx.sessionId());
            if (s != null) s.close();
        });
    }

    static List<String> csv(String s) {
        return s == null ? List.of() : Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    Optional<MessageStream.Subscription> socket(String id) {
        return Optional.ofNullable(sockets.get(id));
    }
}

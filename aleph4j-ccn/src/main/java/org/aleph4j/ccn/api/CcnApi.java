package org.aleph4j.ccn.api;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.balance.BalanceQueries;
import org.aleph4j.ccn.files.FileIntake;
import org.aleph4j.ccn.files.FileQueries;
import org.aleph4j.ccn.files.FileStore;
import org.aleph4j.ccn.files.FileStoreUnavailableException;
import org.aleph4j.ccn.pipeline.MessageHandlers;
import org.aleph4j.ccn.pipeline.PipelineWorker;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.ccn.stream.MessageSocket;
import org.aleph4j.ccn.stream.MessageStream;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CCN's HTTP routes (reference §3.2, §5) and the single mapper from errors to JSON responses. The handlers
 * live with their capability: messages and upstream's list views here, files in {@link FileIntake} and
 * {@link FileQueries}, balances and prices in
 * {@link BalanceQueries}, the websocket in {@link MessageSocket}.
 */
public final class CcnApi {
    private static final Logger log = LoggerFactory.getLogger(CcnApi.class);
    /** Bodies above this size (or of unknown length) count against {@link CcnLimits#maxConcurrentLargeBodies}. */
    static final long LARGE_BODY_BYTES = 64 * 1024;
    /** How long a large-body request may wait for a slot before it is answered 429. */
    private static final long LARGE_BODY_WAIT_MS = 2_000;

    private final CcnLimits limits;
    private final PrometheusMeterRegistry meters;
    private final Semaphore largeBodies;
    private final MessageRoutes messages;
    private final FileIntake fileIntake;
    private final BalanceQueries balances;
    private final MessageSocket socket;
    private final ListingRoutes listings;
    private final FileQueries fileQueries;

    public CcnApi(CcnConfig config, Database db, MessageStore store, FileStore files, MessageHandlers handlers,
                  PipelineWorker worker, MessageStream stream, MessageValidator validator, PrometheusMeterRegistry meters) {
        this(config, db, store, files, handlers, worker, stream, validator, meters, InstantSource.system(), System::nanoTime);
    }

    /** With injected wall-clock time and a monotonic nanosecond ticker (for rate limits). */
    public CcnApi(CcnConfig config, Database db, MessageStore store, FileStore files, MessageHandlers handlers,
                  PipelineWorker worker, MessageStream stream, MessageValidator validator, PrometheusMeterRegistry meters,
                  InstantSource clock, LongSupplier nanos) {
        this.limits = config.limits();
        this.meters = meters;
        this.largeBodies = new Semaphore(limits.maxConcurrentLargeBodies());
        this.messages = new MessageRoutes(db, store, handlers, worker, validator, limits);
        this.fileIntake = new FileIntake(config, db, store, files, handlers, worker, validator, clock, nanos);
        this.balances = new BalanceQueries(db, store, handlers, worker);
        this.socket = new MessageSocket(db, store, stream, limits);
        this.listings = new ListingRoutes(db, store, handlers, limits);
        this.fileQueries = new FileQueries(db, store, files, limits);
    }

    /** Registers routes and error mapping on a Javalin configuration. */
    public void configure(JavalinConfig cfg) {
        cfg.concurrency.useVirtualThreads = true;
        // inline item_content is capped at 200 000 characters; JSON escaping can double it
        cfg.http.maxRequestSize = 2L * 1024 * 1024;
        var r = cfg.routes;
        r.post("/api/v0/messages", largeBody(messages::post));
        r.get("/api/v0/messages.json", ctx -> messages.list(ctx, null));
        r.get("/api/v0/messages/page/{page}", ctx -> messages.list(ctx, QueryParams.stripJson(ctx.pathParam("page"))));
        r.get("/api/v0/messages/{hash}", messages::message);
        r.get("/api/v0/messages/{hash}/status", messages::status);
        r.get("/api/v0/messages/{hash}/content", messages::content);
        r.get("/api/v0/aggregates/{address}", messages::aggregates);
        r.get("/api/v0/aggregates.json", listings::aggregates);
        r.get("/api/v0/aggregates", listings::aggregates);
        r.get("/api/v0/posts.json", ctx -> listings.postsV0(ctx, null));
        r.get("/api/v0/posts/page/{page}", ctx -> listings.postsV0(ctx, ctx.pathParam("page")));
        r.get("/api/v1/posts.json", ctx -> listings.postsV1(ctx, null));
        r.get("/api/v1/posts/page/{page}", ctx -> listings.postsV1(ctx, ctx.pathParam("page")));
        r.get("/api/v0/addresses/{address}/files", listings::addressFiles);
        r.post("/api/v0/storage/add_file", largeBody(fileIntake::addFile));
        r.post("/api/v0/storage/add_json", largeBody(fileIntake::addJson));
        r.get("/api/v0/storage/raw/{hash}", ctx -> fileIntake.raw(ctx, false));
        r.head("/api/v0/storage/raw/{hash}", ctx -> fileIntake.raw(ctx, true));
        r.post("/api/v0/ipfs/add_file", largeBody(fileIntake::ipfsAddFile));
        r.get("/api/v0/storage/metadata/{hash}", fileQueries::metadata);
        r.get("/api/v0/storage/by-message-hash/{hash}", fileQueries::byMessageHash);
        r.get("/api/v0/storage/by-ref/{ref}", ctx -> fileQueries.byRef(ctx, false));
        r.get("/api/v0/storage/by-ref/{address}/{ref}", ctx -> fileQueries.byRef(ctx, true));
        r.get("/api/v0/storage/{hash}", fileQueries::base64);
        r.get("/api/v0/addresses/{address}/balance", balances::balance);
        r.get("/api/v0/price/{hash}", balances::price);
        r.post("/api/v0/price/estimate", balances::estimate);
        r.get("/api/v0/version", ctx -> Responses.json(ctx, 200, Map.of("version", "aleph4j-ccn 0.1.0")));
        r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(meters.scrape()));
        r.ws("/api/ws0/messages", socket::configure);
        r.exception(ApiException.class, (e, ctx) -> {
            if (e.retryAfterSeconds() > 0) ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            error(ctx, e.status(), e.errorCode(), e.getMessage(), e.details());
        });
        r.exception(MessageException.class, (e, ctx) -> error(ctx, 422, e.code().code(), e.getMessage(), e.details()));
        r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), -1, e.getMessage(), Map.of()));
        r.exception(FileStoreUnavailableException.class, (e, ctx) -> {
            log.warn("file store unavailable on {} {}: {}", ctx.method(), ctx.path(), e.getMessage());
            ctx.header("Retry-After", "5");
            error(ctx, 503, ErrorCode.INTERNAL_ERROR.code(), "the file store is unavailable; retry later",
                    Map.of("reason", String.valueOf(e.getMessage())));
        });
        r.exception(Exception.class, (e, ctx) -> {
            log.error("internal error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, ErrorCode.INTERNAL_ERROR.code(), "internal error", Map.of());
        });
    }

    /**
     * Runs {@code h} holding one of the {@link CcnLimits#maxConcurrentLargeBodies} slots when the request body is
     * large or of unknown length, so that many clients cannot make the node read (and buffer) many bodies at once.
     */
    private Handler largeBody(Handler h) {
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

    private static void error(Context ctx, int status, int code, String message, Map<String, Object> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message == null ? "error" : message);
        body.put("error_code", code);
        body.put("details", details == null ? Map.of() : details);
        Responses.json(ctx, status, body);
    }
}

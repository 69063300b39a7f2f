package org.aleph4j.ccn.files;

import static org.aleph4j.ccn.api.Responses.SYNC_WAIT;
import static org.aleph4j.ccn.api.Responses.addRejection;
import static org.aleph4j.ccn.api.Responses.httpStatusOf;
import static org.aleph4j.ccn.api.Responses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.admission.AddressKey;
import org.aleph4j.ccn.admission.RateLimiter;
import org.aleph4j.ccn.api.ApiException;
import org.aleph4j.ccn.balance.CostCalculator;
import org.aleph4j.ccn.pipeline.MessageHandlers;
import org.aleph4j.ccn.pipeline.Outcome;
import org.aleph4j.ccn.pipeline.PipelineWorker;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.StoreContent;

/**
 * File intake over HTTP (reference §3.2): {@code add_file} with a signed STORE (checked before the file is kept)
 * or anonymous (rate-limited, bounded in total, 24 h grace), {@code add_json}, and {@code raw} downloads. Bodies
 * stream to a staged file, never fully into memory, within {@link CcnConfig#maxFileBytes()} and
 * {@link CcnConfig#maxUnauthenticatedFileBytes()}.
 */
public final class FileIntake {
    private static final long MAX_METADATA_BYTES = 1024 * 1024;
    /** add_json stores what upstream hashes: compact JSON with sorted keys. */
    private static final ObjectMapper SORTED = Json.MAPPER.copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private final CcnConfig config;
    private final CcnLimits limits;
    private final Database db;
    private final MessageStore store;
    private final FileStore files;
    private final MessageHandlers handlers;
    private final PipelineWorker worker;
    private final MessageValidator validator;
    private final InstantSource clock;
    private final RateLimiter anonymousUploads;
    /** Serialises the check-and-commit of anonymous files so that concurrent uploads cannot overshoot the bound. */
    private final ReentrantLock anonymousStore = new ReentrantLock();

    /** With injected wall-clock time and a monotonic nanosecond ticker (for the anonymous upload rate). */
    public FileIntake(CcnConfig config, Database db, MessageStore store, FileStore files, MessageHandlers handlers,
                      PipelineWorker worker, MessageValidator validator, InstantSource clock, LongSupplier nanos) {
        this.config = config;
        this.limits = config.limits();
        this.db = db;
        this.store = store;
        this.files = files;
        this.handlers = handlers;
        this.worker = worker;
        this.validator = validator;
        this.clock = clock;
        this.anonymousUploads = new RateLimiter(limits.anonymousUploadsPerMinute(), nanos);
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
            worker.fileArrived(staged.hash(), staged.size());
        } finally {
            anonymousStore.unlock();
        }
    }

    public void addFile(Context ctx) throws IOException, MessageException {
        addFile(ctx, false);
    }

    /**
     * {@code POST /api/v0/ipfs/add_file}, where upstream's clients send files above 4 MiB. This node has no IPFS:
     * the file is received exactly as by {@code storage/add_file} (the same limits, an optional signed STORE first)
     * and stored under its sha256, which the answer gives as {@code hash} (with upstream's {@code name} and
     * {@code size}, and {@code engine: "storage"}). Upstream's SDK then signs a STORE with {@code item_type: ipfs}
     * and that sha256; this node processes it as the file of its store that the hash names.
     */
    public void ipfsAddFile(Context ctx) throws IOException, MessageException {
        addFile(ctx, true);
    }

    private void addFile(Context ctx, boolean ipfs) throws IOException, MessageException {
        try {
            receiveFile(ctx, ipfs);
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

    /** The answer to an upload without a STORE: upstream's storage shape, or its ipfs one (with the file name). */
    private static Map<String, Object> anonymousAnswer(FileStore.Staged staged, boolean ipfs, String name) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("hash", staged.hash());
        if (ipfs) out.put("name", name == null ? "file" : name);
        out.put("size", staged.size());
        if (ipfs) out.put("engine", "storage");
        return out;
    }

    private void receiveFile(Context ctx, boolean ipfs) throws IOException, MessageException {
        String boundary = MultipartParts.boundaryOf(ctx.contentType());
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
                json(ctx, 200, anonymousAnswer(staged, ipfs, null));
            }
            return;
        }
        MultipartParts mp = new MultipartParts(body, boundary);
        String metadata = null;
        String filename = null;
        FileStore.Staged staged = null;
        try {
            MultipartParts.Part part;
            while ((part = mp.next()) != null) {
                if ("metadata".equals(part.name())) {
                    byte[] meta = part.body().readNBytes((int) MAX_METADATA_BYTES + 1);
                    if (meta.length > MAX_METADATA_BYTES) throw new ApiException(413, -1, "metadata part is too large", Map.of());
                    metadata = new String(meta, StandardCharsets.UTF_8);
                } else if ("file".equals(part.name()) && staged == null) {
                    // clients send metadata first; a file part without it is an anonymous upload
                    if (metadata == null) admitAnonymous(ctx);
                    filename = part.filename();
                    staged = stage(part.body(), metadata != null ? config.maxFileBytes() : hardLimit);
                }
            }
            if (staged == null) throw new ApiException(422, 0, "the multipart body has no file part", Map.of());
            if (metadata == null) {
                if (staged.size() > config.maxUnauthenticatedFileBytes()) throw tooLarge(config.maxUnauthenticatedFileBytes());
                commitAnonymous(staged);
                json(ctx, 200, anonymousAnswer(staged, ipfs, filename));
                return;
            }
            if (staged.size() > config.maxFileBytes()) throw tooLarge(config.maxFileBytes());
            authenticatedUpload(ctx, metadata, staged, ipfs, filename);
        } catch (MultipartParts.MalformedException e) {
            throw new ApiException(422, 0, e.getMessage(), Map.of());
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

    private void authenticatedUpload(Context ctx, String metadata, FileStore.Staged staged, boolean ipfs, String filename)
            throws IOException, MessageException {
        JsonNode meta = Json.parseTree(metadata);
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
            Outcome.Rejected shortfall = db.jdbi().withHandle(h -> handlers.balanceShortfall(h, sc.address(),
                    CostCalculator.store(sc, staged.size(), handlers.pricing(h))));
            if (shortfall != null) throw new ApiException(402, shortfall.code().code(), shortfall.reason(), shortfall.details());
        }
        boolean existed = files.exists(staged.hash());
        staged.commit();
        worker.fileArrived(staged.hash(), staged.size());
        PipelineWorker.Result result = worker.submit(m.withContent(null), sync ? SYNC_WAIT : Duration.ZERO);
        if (MessageStatus.REJECTED.is(result.status()) && !existed) {
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
        out.put("status", MessageStatus.REJECTED.is(result.status()) ? "error" : "success");
        out.put("hash", staged.hash());
        if (ipfs) {
            out.put("name", filename == null ? "file" : filename);
            out.put("size", staged.size());
            out.put("engine", "storage");
        }
        out.put("message_status", result.status());
        if (MessageStatus.REJECTED.is(result.status())) addRejection(out, result);
        json(ctx, httpStatusOf(result.status()), out);
    }

    public void addJson(Context ctx) throws IOException, MessageException {
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
        JsonNode tree = Json.parseTree(new String(bytes, StandardCharsets.UTF_8));
        bytes = null;
        // upstream re-serialises compactly with sorted keys and hashes those bytes
        byte[] canonical = SORTED.writeValueAsBytes(Json.MAPPER.treeToValue(tree, Object.class));
        try (FileStore.Staged staged = files.stage(new java.io.ByteArrayInputStream(canonical), Long.MAX_VALUE)) {
            commitAnonymous(staged);
            json(ctx, 200, Map.of("status", "success", "hash", staged.hash()));
        }
    }

    /**
     * {@code GET}/{@code HEAD /api/v0/storage/raw/{hash}}: the stored bytes, streamed from disk, with their exact
     * {@code Content-Length}. A stored file is opaque (often already compressed), so it is sent as stored whatever
     * the client's {@code Accept-Encoding}, as upstream does: compressing it would contradict the length declared
     * here. {@code Range} is not supported; such a request is answered with the whole file.
     */
    public void raw(Context ctx, boolean head) throws IOException {
        String hash = ctx.pathParam("hash");
        Optional<Long> known = ItemHashes.isSha256Hash(hash) ? db.jdbi().withHandle(h -> store.fileSize(h, hash)) : Optional.empty();
        if (known.isEmpty()) throw new ApiException(404, -1, "File not found: " + hash, Map.of());
        ctx.disableCompression();
        try {
            if (head) {
                long size = files.size(hash);
                ctx.status(200).contentType("application/octet-stream").header("Content-Length", Long.toString(size));
                return;
            }
            FileStore.Opened file = files.open(hash);
            if (file.size() != known.get()) {
                file.close();
                throw new FileStore.CorruptException("the stored copy of " + hash + " holds " + file.size() + " bytes, not "
                        + known.get());
            }
            ctx.status(200).contentType("application/octet-stream").header("Content-Length", Long.toString(file.size()));
            ctx.result(file.stream());
        } catch (NoSuchFileException e) {
            throw new ApiException(404, -1, "File not found: " + hash, Map.of());
        } catch (FileStore.CorruptException e) {
            throw new FileStoreUnavailableException(e.getMessage(), e);
        }
    }
}

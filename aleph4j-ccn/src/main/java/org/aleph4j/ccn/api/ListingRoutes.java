package org.aleph4j.ccn.api;

import static org.aleph4j.ccn.api.Responses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.pipeline.MessageHandlers;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.ccn.stream.MessageJson;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;

/**
 * Upstream's list views over processed messages: posts with their amends merged ({@code /api/v0/posts.json} in
 * its legacy shape, {@code /api/v1/posts.json} in the newer one), every aggregate ({@code /api/v0/aggregates.json})
 * and the files an address pins ({@code /api/v0/addresses/{address}/files}). Parameters and shapes as pyaleph's
 * {@code posts.py}, {@code aggregates.py} and {@code accounts.py}; cursors are not offered (page numbers are).
 */
final class ListingRoutes {
    /** Upstream's default page sizes: posts and aggregates 20 (at most 500 for aggregates), files 100. */
    private static final int DEFAULT_PAGE = 20;
    private static final int DEFAULT_FILES_PAGE = 100;
    private static final int MAX_AGGREGATES_PAGE = 500;
    /** Python's {@code datetime.isoformat()} of an aware UTC time, which upstream's clients parse. */
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);

    private final Database db;
    private final MessageStore store;
    private final MessageHandlers handlers;
    private final CcnLimits limits;

    ListingRoutes(Database db, MessageStore store, MessageHandlers handlers, CcnLimits limits) {
        this.db = db;
        this.store = store;
        this.handlers = handlers;
        this.limits = limits;
    }

    static String iso(double epochSeconds) {
        return ISO.format(Instant.ofEpochMilli(Math.round(epochSeconds * 1000.0)));
    }

    // ---- posts

    void postsV0(Context ctx, String pathPage) {
        posts(ctx, pathPage, false);
    }

    void postsV1(Context ctx, String pathPage) {
        posts(ctx, pathPage, true);
    }

    private void posts(Context ctx, String pathPage, boolean v1) {
        Map<String, List<String>> q = ctx.queryParamMap();
        List<String> hashes = QueryParams.list(q, "hashes");
        for (String hash : hashes) {
            if (!ItemHashes.isItemHash(hash)) throw new ApiException(422, 0, "hashes: not an item hash: " + hash, Map.of());
        }
        Double start = nonNegative(QueryParams.number(q, "startDate", "start_date"), "startDate");
        Double end = nonNegative(QueryParams.number(q, "endDate", "end_date"), "endDate");
        // upstream treats 0 as "no bound"
        if (start != null && start == 0) start = null;
        if (end != null && end == 0) end = null;
        if (start != null && end != null && end < start) throw new ApiException(422, 0, "end date cannot be lower than start date.", Map.of());
        String sortBy = QueryParams.one(q, "sortBy", "sort_by");
        if (sortBy != null && !sortBy.equals("time") && !sortBy.equals("tx-time")) {
            throw new ApiException(422, 0, "sortBy must be time or tx-time", Map.of());
        }
        int sortOrder = QueryParams.sortOrder(q);
        int perPage = QueryParams.pageSize(q, DEFAULT_PAGE, limits.maxPageSize());
        int page = QueryParams.page(q, pathPage);
        MessageStore.PostFilter f = new MessageStore.PostFilter(hashes, QueryParams.addresses(q, "addresses"),
                QueryParams.list(q, "refs"), QueryParams.list(q, "types", "post_types"), QueryParams.list(q, "tags"),
                QueryParams.list(q, "channels"), start, end);
        MessageStore.PostPage result = db.jdbi().withHandle(h -> store.posts(h, f, perPage, page, sortOrder, "tx-time".equals(sortBy)));
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("posts");
        for (MessageStore.MergedPost p : result.posts()) arr.add(v1 ? postV1(p) : postV0(p));
        out.put("pagination_page", page);
        out.put("pagination_total", result.total());
        out.put("pagination_per_page", perPage);
        out.put("pagination_item", "posts");
        json(ctx, 200, out);
    }

    private static Double nonNegative(Double d, String name) {
        if (d != null && (d < 0 || d.isNaN() || d.isInfinite())) throw new ApiException(422, 0, name + " must be a non-negative number", Map.of());
        return d;
    }

    private static JsonNode contentOf(MessageRow r) {
        if (r.content() == null) return Json.MAPPER.createObjectNode();
        try {
            return Json.parseTree(r.content());
        } catch (MessageException e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    /** The post body: {@code content.content} of the latest version. */
    private static JsonNode body(MessageStore.MergedPost p) {
        JsonNode b = contentOf(p.latest()).get("content");
        return b == null ? Json.MAPPER.nullNode() : b;
    }

    private static ObjectNode postV1(MessageStore.MergedPost p) {
        MessageRow o = p.original();
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("item_hash", p.latest().itemHash());
        n.set("content", body(p));
        n.put("original_item_hash", o.itemHash());
        n.put("original_type", o.contentType());
        n.put("address", o.owner());
        n.put("ref", o.contentRef());
        n.put("channel", o.channel());
        n.put("created", iso(o.time()));
        n.put("last_updated", iso(p.latest().time()));
        return n;
    }

    private static ObjectNode postV0(MessageStore.MergedPost p) {
        MessageRow o = p.original();
        MessageRow latest = p.latest();
        ObjectNode latestEnv = MessageJson.envelope(latest);
        ObjectNode originalEnv = MessageJson.envelope(o);
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("chain", o.chain());
        n.put("item_hash", latest.itemHash());
        n.put("sender", o.owner());
        // upstream: the latest version's post type ("amend" once amended)
        n.put("type", latest.contentType());
        n.put("channel", o.channel());
        n.put("confirmed", false);
        n.set("content", body(p));
        n.set("item_content", latestEnv.has("item_content") ? latestEnv.get("item_content") : Json.MAPPER.nullNode());
        n.put("item_type", latest.itemType());
        n.set("signature", latestEnv.path("signature").isMissingNode() ? Json.MAPPER.nullNode() : latestEnv.get("signature"));
        if (latest.size() != null) n.put("size", latest.size());
        else n.put("size", latestEnv.path("item_content").asText("").length());
        n.put("time", latest.time());
        n.putArray("confirmations");
        n.put("original_item_hash", o.itemHash());
        n.set("original_signature", originalEnv.path("signature").isMissingNode() ? Json.MAPPER.nullNode() : originalEnv.get("signature"));
        n.put("original_type", o.contentType());
        n.put("hash", o.itemHash());
        n.put("address", o.owner());
        n.put("ref", o.contentRef());
        return n;
    }

    // ---- aggregates

    void aggregates(Context ctx) {
        Map<String, List<String>> q = ctx.queryParamMap();
        List<String> keys = QueryParams.list(q, "keys");
        List<String> addresses = QueryParams.addresses(q, "addresses");
        String sortBy = QueryParams.one(q, "sortBy", "sort_by");
        if (sortBy != null && !sortBy.equals("last_modified") && !sortBy.equals("creation_time")) {
            throw new ApiException(422, 0, "sortBy must be last_modified or creation_time", Map.of());
        }
        int sortOrder = QueryParams.sortOrder(q);
        // upstream: 1..500, no "0 = everything" here
        int perPage = QueryParams.integer(q, DEFAULT_PAGE, 1, MAX_AGGREGATES_PAGE, "pagination");
        int page = QueryParams.page(q, null);
        ObjectNode out = Json.MAPPER.createObjectNode();
        db.jdbi().useHandle(h -> {
            MessageStore.AggregatePage result = store.aggregateKeys(h, addresses, keys, "creation_time".equals(sortBy), sortOrder, perPage, page);
            ArrayNode arr = out.putArray("aggregates");
            for (MessageStore.AggregateKey k : result.keys()) {
                ObjectNode a = arr.addObject();
                a.put("address", k.owner());
                a.put("key", k.key());
                JsonNode merged = handlers.aggregate(h, k.owner(), List.of(k.key())).get(k.key());
                a.set("content", merged == null ? Json.MAPPER.createObjectNode() : merged);
                a.put("created", iso(k.created()));
                a.put("last_updated", iso(k.lastUpdated()));
            }
            out.put("pagination_per_page", perPage);
            out.put("pagination_page", page);
            out.put("pagination_total", result.total());
            out.put("pagination_item", "aggregates");
        });
        json(ctx, 200, out);
    }

    // ---- files of an address

    void addressFiles(Context ctx) {
        String address = QueryParams.address(ctx.pathParam("address"), "address");
        Map<String, List<String>> q = ctx.queryParamMap();
        int perPage = QueryParams.pageSize(q, DEFAULT_FILES_PAGE, limits.maxPageSize());
        int page = QueryParams.page(q, null);
        int sortOrder = QueryParams.sortOrder(q);
        String fileHash = QueryParams.one(q, "file_hash", "fileHash");
        if (fileHash != null && !ItemHashes.isItemHash(fileHash)) throw new ApiException(422, 0, "file_hash is not a file hash: " + fileHash, Map.of());
        MessageStore.FilePage result = db.jdbi().withHandle(h -> store.filesOf(h, address, fileHash, sortOrder, perPage, page));
        // upstream answers 404 when the page has no file
        if (result.files().isEmpty()) throw new ApiException(404, -1, "No files found for " + address, Map.of("address", address));
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("address", address);
        out.put("total_size", result.totalSize());
        ArrayNode arr = out.putArray("files");
        for (MessageStore.PinnedFile f : result.files()) {
            ObjectNode n = arr.addObject();
            n.put("file_hash", f.fileHash());
            n.put("size", f.size());
            n.put("type", "file");
            n.put("created", iso(f.time()));
            n.put("item_hash", f.storeHash());
        }
        out.put("pagination_page", page);
        out.put("pagination_total", result.total());
        out.put("pagination_per_page", perPage);
        json(ctx, 200, out);
    }
}

package org.aleph4j.ccn.api;

import static org.aleph4j.ccn.api.Responses.SYNC_WAIT;
import static org.aleph4j.ccn.api.Responses.addRejection;
import static org.aleph4j.ccn.api.Responses.httpStatusOf;
import static org.aleph4j.ccn.api.Responses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.pipeline.MessageHandlers;
import org.aleph4j.ccn.pipeline.PipelineWorker;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageFilter;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.ccn.stream.MessageJson;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageValidator;

/** Submitting and reading messages and aggregates (reference §5.1, §5.3, §5.3b). */
final class MessageRoutes {
    private final Database db;
    private final MessageStore store;
    private final MessageHandlers handlers;
    private final PipelineWorker worker;
    private final MessageValidator validator;
    private final CcnLimits limits;

    MessageRoutes(Database db, MessageStore store, MessageHandlers handlers, PipelineWorker worker, MessageValidator validator,
                  CcnLimits limits) {
        this.db = db;
        this.store = store;
        this.handlers = handlers;
        this.worker = worker;
        this.validator = validator;
        this.limits = limits;
    }

    // ---- POST /api/v0/messages (reference §5.1)

    void post(Context ctx) throws MessageException {
        JsonNode body = Json.parseTree(ctx.body());
        if (!body.isObject() || !body.path("message").isObject()) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "the body must be {\"sync\": bool, \"message\": {...}}");
        }
        boolean sync = body.path("sync").asBoolean(false);
        MessageValidator.Validated v = validator.validate(body.get("message"));
        PipelineWorker.Result result = worker.submit(v.message(), sync ? SYNC_WAIT : Duration.ZERO);
        json(ctx, httpStatusOf(result.status()), postResponse(result));
    }

    private static Map<String, Object> postResponse(PipelineWorker.Result result) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("publication_status", Map.of("status", "success", "failed", List.of()));
        out.put("message_status", result.status());
        if (MessageStatus.REJECTED.is(result.status())) addRejection(out, result);
        return out;
    }

    // ---- reading messages (reference §5.3)

    void message(Context ctx) {
        MessageRow r = requireMessage(ctx.pathParam("hash"));
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("status", r.status());
        out.put("item_hash", r.itemHash());
        out.put("reception_time", r.receptionTime());
        switch (MessageStatus.parse(r.status()).orElse(null)) {
            case PENDING -> {
                ArrayNode arr = out.putArray("messages");
                ObjectNode env = MessageJson.envelope(r);
                env.put("reception_time", r.receptionTime());
                arr.add(env);
            }
            case REJECTED -> {
                out.set("message", MessageJson.envelope(r));
                out.put("error_code", r.errorCode());
                out.set("details", detailsOf(r));
                String reason = reasonOf(r);
                if (reason != null) out.put("error", reason);
            }
            case FORGOTTEN -> {
                out.set("message", MessageJson.item(r));
                JsonNode by = MessageJson.item(r).get("forgotten_by");
                out.set("forgotten_by", by == null ? Json.MAPPER.createArrayNode() : by);
            }
            case REMOVING, REMOVED -> {
                out.set("message", MessageJson.item(r));
                out.put("reason", r.reason() == null ? "balance_insufficient" : r.reason());
            }
            case null, default -> out.set("message", MessageJson.item(r));
        }
        json(ctx, 200, out);
    }

    void status(Context ctx) {
        MessageRow r = requireMessage(ctx.pathParam("hash"));
        json(ctx, 200, Map.of("status", r.status(), "item_hash", r.itemHash(), "reception_time", r.receptionTime()));
    }

    void content(Context ctx) throws MessageException {
        MessageRow r = requireMessage(ctx.pathParam("hash"));
        if (!MessageStatus.parse(r.status()).map(MessageStatus::visible).orElse(false)) {
            throw new ApiException(422, -1, "message " + r.itemHash() + " is " + r.status(), Map.of("status", r.status()));
        }
        JsonNode content = Json.parseTree(r.content());
        if ("POST".equals(r.type())) content = content.path("content").isMissingNode() ? Json.MAPPER.nullNode() : content.get("content");
        json(ctx, 200, content);
    }

    void list(Context ctx, String pathPage) {
        Map<String, List<String>> q = ctx.queryParamMap();
        MessageFilter f = QueryParams.filter(q);
        // upstream reads pagination=0 as "no limit"; here it (and anything larger) means the largest page
        int requested = QueryParams.integer(q, 20, 0, Integer.MAX_VALUE, "pagination");
        int perPage = requested == 0 || requested > limits.maxPageSize() ? limits.maxPageSize() : requested;
        int page = pathPage != null ? parsePage(pathPage) : QueryParams.integer(q, 1, 1, Integer.MAX_VALUE, "page");
        String sortBy = QueryParams.one(q, "sortBy", "sort_by");
        if (sortBy != null && !sortBy.equals("time") && !sortBy.equals("tx-time")) {
            throw new ApiException(422, 0, "sortBy must be time or tx-time", Map.of());
        }
        Long sinceSequence = QueryParams.sequence(q);
        if (sinceSequence != null && sortBy != null) {
            throw new ApiException(422, 0, "since_sequence lists in sequence order; leave out sortBy", Map.of());
        }
        // reading after a sequence goes forward by default; by time, newest first as upstream
        int sortOrder = QueryParams.integer(q, sinceSequence != null ? 1 : -1, -1, 1, "sortOrder", "sort_order");
        if (sortOrder == 0) throw new ApiException(422, 0, "sortOrder must be -1 or 1", Map.of());
        boolean withContent = withContent(q);
        MessageStore.Page result = db.jdbi().withHandle(h -> store.query(h, f, perPage, page, sortOrder, sinceSequence));
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("messages");
        for (MessageRow r : result.rows()) {
            ObjectNode item = MessageJson.item(r);
            if (!withContent) item.remove("content");
            arr.add(item);
        }
        out.put("pagination_page", page);
        out.put("pagination_total", result.total());
        out.put("pagination_per_page", perPage);
        out.put("pagination_item", "messages");
        json(ctx, 200, out);
    }

    /**
     * Upstream's {@code contentFormat} ({@code full}, the default, or {@code none}: items without {@code content})
     * and its deprecated {@code excludeContent=true} (same as {@code none}; {@code contentFormat} wins when both
     * are given). {@code headers} (upstream's per-type summary) is not offered: 422.
     */
    private static boolean withContent(Map<String, List<String>> q) {
        boolean exclude = QueryParams.bool(q, false, "excludeContent", "exclude_content");
        String format = QueryParams.one(q, "contentFormat", "content_format");
        if (format == null) return !exclude;
        return switch (format) {
            case "full" -> true;
            case "none" -> false;
            case "headers" -> throw new ApiException(422, 0, "contentFormat=headers is not supported by this node; use full or none", Map.of());
            default -> throw new ApiException(422, 0, "contentFormat must be full or none, got " + format, Map.of());
        };
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

    void aggregates(Context ctx) {
        String address = QueryParams.stripJson(ctx.pathParam("address"));
        List<String> keys = QueryParams.list(ctx.queryParamMap(), "keys");
        int limit = QueryParams.integer(ctx.queryParamMap(), 1000, 1, 1_000_000, "limit");
        ObjectNode data = db.jdbi().withHandle(h -> handlers.aggregate(h, address, keys));
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

    private MessageRow requireMessage(String hash) {
        return worker.find(hash).orElseThrow(() -> new ApiException(404, -1, "Message not found: " + hash, Map.of()));
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
}

package org.aleph4j.ccn.balance;

import static org.aleph4j.ccn.api.Responses.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.api.ApiException;
import org.aleph4j.ccn.pipeline.MessageHandlers;
import org.aleph4j.ccn.pipeline.PipelineWorker;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.message.Contents;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.InstanceContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.jdbi.v3.core.Handle;

/**
 * Balance and price queries over HTTP (reference §5.4, §5.5): an address's balance and locked amount, the price
 * of a stored message, and the estimate for one not yet sent, all computed by {@link CostCalculator} with the
 * node's current pricing aggregate.
 */
public final class BalanceQueries {
    private final Database db;
    private final MessageStore store;
    private final MessageHandlers handlers;
    private final PipelineWorker worker;

    public BalanceQueries(Database db, MessageStore store, MessageHandlers handlers, PipelineWorker worker) {
        this.db = db;
        this.store = store;
        this.handlers = handlers;
        this.worker = worker;
    }

    public void balance(Context ctx) {
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

    public void price(Context ctx) throws MessageException {
        String hash = ctx.pathParam("hash");
        MessageRow r = worker.find(hash).orElseThrow(() -> new ApiException(404, -1, "Message not found: " + hash, Map.of()));
        switch (MessageStatus.parse(r.status()).orElse(null)) {
            case REJECTED -> throw new ApiException(404, -1, "Message not found: " + r.itemHash(), Map.of());
            case FORGOTTEN, REMOVED -> throw new ApiException(410, -1, "Message " + r.itemHash() + " is " + r.status(), Map.of());
            // upstream answers 102 for pending; a final 1xx is not valid HTTP for most clients, so 202 it is
            case PENDING -> throw new ApiException(202, -1, "Message " + r.itemHash() + " is still pending", Map.of());
            case null, default -> { }
        }
        if (!Set.of("PROGRAM", "INSTANCE", "STORE").contains(r.type())) {
            throw new ApiException(400, -1, "no price for " + r.type() + " messages", Map.of());
        }
        Content content = Contents.parse(MessageType.valueOf(r.type()), r.content());
        Cost cost = db.jdbi().withHandle(h -> costOf(h, content, r.size()));
        json(ctx, 200, priceJson(cost, paymentType(content), r.owner()));
    }

    private Cost costOf(Handle h, Content content, Long storedSize) {
        var pricing = handlers.pricing(h);
        return switch (content) {
            case ProgramContent pc -> CostCalculator.program(pc, pricing, ref -> fileBytes(h, ref));
            case InstanceContent ic -> CostCalculator.instance(ic, pricing, ref -> fileBytes(h, ref));
            case StoreContent sc -> CostCalculator.store(sc, storedSize != null ? storedSize
                    : sc.size() != null ? sc.size() : store.fileSize(h, sc.itemHash()).orElse(0L), pricing);
            default -> throw new ApiException(400, -1, "no price for this message type", Map.of());
        };
    }

    private long fileBytes(Handle h, String ref) {
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

    public void estimate(Context ctx) throws MessageException {
        JsonNode body = Json.parseTree(ctx.body());
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
}

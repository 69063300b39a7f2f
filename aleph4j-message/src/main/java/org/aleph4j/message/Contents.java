package org.aleph4j.message;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.InstanceContent;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;

/**
 * Reads and writes typed contents. Reading accepts any key order and checks upstream's schema
 * (types, required fields, limits); writing produces the canonical {@code item_content}: compact
 * JSON in upstream's model key order with defaults filled in and nulls removed (reference §1.7).
 */
public final class Contents {
    /** Triggers forbid unknown keys upstream ({@code extra="forbid"}). */
    private static final Set<String> TRIGGER_KEYS = Set.of("http", "message", "persistent");
    private static final int MAX_SUBSCRIPTION_KEYS = 32;

    /**
     * A reader that refuses the scalar coercions Jackson allows by default ("5" for 5, 5.5 for 5,
     * "true" for true): a coerced value would dump differently from item_content, which upstream rejects.
     */
    private static final ObjectReader STRICT = strictMapper();

    private Contents() {}

    private static ObjectReader strictMapper() {
        ObjectMapper strict = Json.MAPPER.copy();
        strict.configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false);
        strict.configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
        strict.configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);
        strict.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        strict.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        return strict.reader();
    }

    /** The content record class of a message type. */
    public static Class<? extends Content> classOf(MessageType type) {
        return switch (type) {
            case POST -> PostContent.class;
            case AGGREGATE -> AggregateContent.class;
            case STORE -> StoreContent.class;
            case PROGRAM -> ProgramContent.class;
            case INSTANCE -> InstanceContent.class;
            case FORGET -> ForgetContent.class;
        };
    }

    /** Parses and schema-checks content JSON of the given type; bad content gives error code 0. */
    public static Content parse(MessageType type, String json) throws MessageException {
        return parse(type, Json.parseTree(json));
    }

    /** Parses and schema-checks a content tree of the given type; bad content gives error code 0. */
    public static Content parse(MessageType type, JsonNode tree) throws MessageException {
        if (type == null) throw new MessageException(ErrorCode.INVALID_FORMAT, "unknown message type");
        if (tree == null || !tree.isObject()) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "content must be a JSON object");
        }
        List<String> shape = new ArrayList<>();
        JsonNode time = tree.get("time");
        if (time == null || time.isNull()) shape.add("field required: time");
        else if (!time.isNumber()) shape.add("time must be a number");
        JsonNode address = tree.get("address");
        if (address != null && !address.isNull() && !address.isTextual()) shape.add("address must be a string");
        if (type == MessageType.PROGRAM) checkTriggers(tree.get("on"), shape);
        if (!shape.isEmpty()) throw invalid(type, shape);
        Content content;
        try {
            content = STRICT.treeToValue(tree, classOf(type));
        } catch (Exception e) {
            String reason = Json.firstLine(e.getMessage());
            throw new MessageException(ErrorCode.INVALID_FORMAT, "invalid " + type + " content: " + reason,
                    Map.of("errors", List.of(reason)));
        }
        List<String> problems = content.problems();
        if (!problems.isEmpty()) throw invalid(type, problems);
        return content;
    }

    private static void checkTriggers(JsonNode on, List<String> problems) {
        if (on == null || !on.isObject()) return; // "field required: on" is reported by the record checks
        for (Iterator<String> it = on.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!TRIGGER_KEYS.contains(key)) problems.add("on." + key + ": extra fields are not permitted");
        }
        JsonNode message = on.get("message");
        if (message != null && !message.isNull()) {
            if (!message.isArray()) {
                problems.add("on.message must be a list of subscriptions");
            } else {
                for (JsonNode sub : message) {
                    if (!sub.isObject()) problems.add("on.message entries must be objects");
                    else if (sub.size() > MAX_SUBSCRIPTION_KEYS) {
                        problems.add("a subscription has " + sub.size() + " entries, the maximum is " + MAX_SUBSCRIPTION_KEYS);
                    }
                }
            }
        }
    }

    private static MessageException invalid(MessageType type, List<String> problems) {
        return new MessageException(ErrorCode.INVALID_FORMAT,
                "invalid " + type + " content: " + String.join("; ", problems), Map.of("errors", List.copyOf(problems)));
    }

    /** The canonical item_content of a content: compact, upstream key order, defaults filled in, nulls removed. */
    public static String canonical(Content content) {
        return Json.write(content);
    }
}

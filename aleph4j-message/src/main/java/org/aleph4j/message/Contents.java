package org.aleph4j.message;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.InstanceContent;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;

/** Reads and writes typed contents. */
public final class Contents {
    private Contents() {}

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

    public static Content parse(MessageType type, JsonNode tree) throws MessageException {
        if (tree == null || !tree.isObject()) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "content must be a JSON object");
        }
        Content content;
        try {
            content = Json.MAPPER.treeToValue(tree, classOf(type));
        } catch (Exception e) {
            throw new MessageException(ErrorCode.INVALID_FORMAT,
                    "invalid " + type + " content: " + Json.firstLine(e.getMessage()));
        }
        if (!tree.path("time").isNumber()) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "invalid " + type + " content: time must be a number",
                    Map.of("errors", List.of("field required: time")));
        }
        List<String> problems = content.problems();
        if (!problems.isEmpty()) {
            throw new MessageException(ErrorCode.INVALID_FORMAT,
                    "invalid " + type + " content: " + String.join("; ", problems), Map.of("errors", problems));
        }
        return content;
    }

    /** The canonical item_content of a content: compact, upstream key order, nulls removed. */
    public static String canonical(Content content) {
        return Json.write(content);
    }
}

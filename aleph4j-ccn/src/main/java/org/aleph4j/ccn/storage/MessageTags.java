package org.aleph4j.ccn.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;

/**
 * A message's tags where upstream reads them (pyaleph {@code extract_tags}): POST and AGGREGATE
 * {@code content.content.tags}, STORE {@code content.tags}, PROGRAM and INSTANCE {@code content.metadata.tags};
 * string entries only, each once.
 */
public final class MessageTags {
    private MessageTags() {}

    /** The tags of a message of {@code type} whose content is {@code content}; empty when it has none. */
    public static List<String> of(String type, JsonNode content) {
        if (type == null || content == null) return List.of();
        JsonNode tags = switch (type) {
            case "POST", "AGGREGATE" -> content.path("content").path("tags");
            case "STORE" -> content.path("tags");
            case "PROGRAM", "INSTANCE" -> content.path("metadata").path("tags");
            default -> null;
        };
        if (tags == null || !tags.isArray()) return List.of();
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode t : tags) if (t.isTextual()) out.add(t.asText());
        return new ArrayList<>(out);
    }

    /** As {@link #of(String, JsonNode)} from stored content JSON (empty when unreadable). */
    public static List<String> of(String type, String contentJson) {
        if (contentJson == null) return List.of();
        try {
            return of(type, Json.parseTree(contentJson));
        } catch (MessageException e) {
            return List.of();
        }
    }
}

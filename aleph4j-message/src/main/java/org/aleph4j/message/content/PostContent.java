package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** POST content: a typed free-form document; {@code type: "amend"} amends the post named by {@code ref}. */
// Upstream model field order (aleph-message PostContent): content, ref, type.
@JsonPropertyOrder({"address", "time", "content", "ref", "type"})
public record PostContent(String address, double time, JsonNode content, String type, JsonNode ref) implements Content {
    @Override
    public List<String> problems() {
        return new Checks().address(address).time(time).required("type", type)
                .check(!"amend".equals(type) || ref != null, "an amend post requires ref")
                .check(ref == null || ref.isTextual() || ref.isObject(), "ref must be a string or an object")
                .done();
    }

    /** The ref as a plain string when it is one, else null. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String refString() {
        return ref != null && ref.isTextual() ? ref.asText() : null;
    }
}

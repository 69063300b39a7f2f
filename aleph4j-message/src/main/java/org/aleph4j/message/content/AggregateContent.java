package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** AGGREGATE content: a key whose object value is merged into the owner's aggregate. */
@JsonPropertyOrder({"address", "time", "key", "content"})
public record AggregateContent(String address, double time, JsonNode key, JsonNode content) implements Content {
    @Override
    public List<String> problems() {
        return new Checks().address(address).time(time).required("key", key).required("content", content)
                .check(key == null || key.isTextual() || (key.isObject() && key.path("name").isTextual()),
                        "key must be a string or {name}")
                .check(content == null || content.isObject(), "content must be an object")
                .done();
    }

    /** The aggregate key name. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String keyName() {
        return key == null ? null : key.isTextual() ? key.asText() : key.path("name").asText();
    }
}

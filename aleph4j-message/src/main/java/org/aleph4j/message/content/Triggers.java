package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/** When a program runs: on HTTP requests, persistently, and on matching messages. */
@JsonPropertyOrder({"http", "message", "persistent"})
public record Triggers(Boolean http, JsonNode message, Boolean persistent) {
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isPersistent() {
        return persistent != null && persistent;
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isHttp() {
        return http != null && http;
    }

    public Triggers withPersistent(boolean value) {
        return new Triggers(http, message, value);
    }
}

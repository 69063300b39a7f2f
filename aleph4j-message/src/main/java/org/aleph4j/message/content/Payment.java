package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** How an execution or file is paid for: {@code hold}, {@code superfluid} or {@code credit}. */
@JsonPropertyOrder({"chain", "receiver", "type"})
public record Payment(String chain, String receiver, String type) {
    public static Payment hold() {
        return new Payment("ETH", null, "hold");
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isHold() {
        return type == null || "hold".equals(type);
    }
}

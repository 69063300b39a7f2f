package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a program is served: an ASGI app ({@code module:app}) or an executable serving HTTP. */
public enum Interface {
    ASGI, BINARY;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Interface parse(String value) {
        for (Interface i : values()) if (i.value().equals(value)) return i;
        throw new IllegalArgumentException("unknown interface '" + value + "' (asgi or binary)");
    }
}

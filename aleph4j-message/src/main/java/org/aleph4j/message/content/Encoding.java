package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How code or data is packed. */
public enum Encoding {
    PLAIN, ZIP, SQUASHFS;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Encoding parse(String value) {
        for (Encoding e : values()) if (e.value().equals(value)) return e;
        throw new IllegalArgumentException("unknown encoding '" + value + "' (plain, zip or squashfs)");
    }
}

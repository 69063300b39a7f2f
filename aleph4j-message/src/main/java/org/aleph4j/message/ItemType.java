package org.aleph4j.message;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a message's content lives: inline in the envelope, in node storage, or on IPFS. */
public enum ItemType {
    INLINE, STORAGE, IPFS;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ItemType parse(String value) {
        if (value == null) return null;
        return switch (value) {
            case "inline" -> INLINE;
            case "storage" -> STORAGE;
            case "ipfs" -> IPFS;
            default -> null;
        };
    }
}

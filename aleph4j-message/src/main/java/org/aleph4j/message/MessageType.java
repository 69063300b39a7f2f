package org.aleph4j.message;

/** The message types of upstream's envelope (reference §1.1). */
public enum MessageType {
    POST, AGGREGATE, STORE, PROGRAM, INSTANCE, FORGET;

    /** Parses a type name; returns null for unknown names. */
    public static MessageType parse(String name) {
        if (name == null) return null;
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

package org.aleph4j.message;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a message stands at a CCN (reference §5.2). The JSON and stored form is the lowercase
 * {@link #value()}; {@link #parse} reads it back.
 *
 * <p>A message moves from {@code pending} to {@code processed} or {@code rejected}; a processed
 * message can later be {@code forgotten} (by a FORGET), or put into {@code removing} when its
 * owner's balance no longer covers it, which ends in {@code removed} unless the balance is restored
 * (then it is {@code processed} again).
 */
public enum MessageStatus {
    /** Received, waiting for a dependency; retried. */
    PENDING,
    /** Accepted and in effect. */
    PROCESSED,
    /** Refused for good (see its error code). */
    REJECTED,
    /** Cancelled by a FORGET; its content is gone. */
    FORGOTTEN,
    /** Still in effect, but its resources will be removed unless the owner's balance is restored. */
    REMOVING,
    /** Its resources were removed for lack of balance. */
    REMOVED;

    /** The lowercase string used in JSON and in storage, e.g. {@code "processed"}. */
    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The status whose {@link #value()} is exactly {@code value}; empty for null, blank, differently
     * cased or unknown strings. Lenient on purpose: statuses arrive from peers, and callers decide
     * what an unknown one means for them.
     */
    public static Optional<MessageStatus> parse(String value) {
        if (value == null) return Optional.empty();
        for (MessageStatus s : values()) {
            if (s.value().equals(value)) return Optional.of(s);
        }
        return Optional.empty();
    }

    /** Whether {@code value} is this status's string (null-safe). */
    public boolean is(String value) {
        return value().equals(value);
    }

    /** Forgotten, being removed or removed: the message was valid but its effect is withdrawn or ending. */
    public boolean gone() {
        return this == FORGOTTEN || this == REMOVING || this == REMOVED;
    }

    /** Rejected, forgotten or removed: no later change brings the message back ({@code removing} still can). */
    public boolean terminal() {
        return this == REJECTED || this == FORGOTTEN || this == REMOVED;
    }

    /** Rejected or {@link #gone()}: the message's program or file must not be run or served any more. */
    public boolean unusable() {
        return this == REJECTED || gone();
    }

    /**
     * Processed or removing: the message is in effect, its content can be read, and listings show it
     * by default.
     */
    public boolean visible() {
        return this == PROCESSED || this == REMOVING;
    }
}

package org.aleph4j.message;

import java.util.Map;

/**
 * A message could not be accepted: carries upstream's error code, a human-readable reason and
 * structured details. Every validation failure of bad input surfaces as this exception.
 */
public class MessageException extends Exception {
    private final ErrorCode code;
    private final Map<String, Object> details;

    public MessageException(ErrorCode code, String message) {
        this(code, message, Map.of());
    }

    public MessageException(ErrorCode code, String message, Map<String, Object> details) {
        super(message);
        this.code = code;
        this.details = details == null ? Map.of() : details;
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, Object> details() {
        return details;
    }
}

package org.aleph4j.ccn.api;

import java.util.Map;

/** A request the API refuses: HTTP status, upstream error code (or -1 when none applies), reason and details. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final int errorCode;
    private final Map<String, Object> details;

    public ApiException(int status, int errorCode, String message, Map<String, Object> details) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
        this.details = details == null ? Map.of() : details;
    }

    public ApiException(int status, String message) {
        this(status, -1, message, Map.of());
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    public Map<String, Object> details() {
        return details;
    }
}

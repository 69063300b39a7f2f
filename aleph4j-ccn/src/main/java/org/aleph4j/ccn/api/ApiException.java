package org.aleph4j.ccn.api;

import java.util.Map;

/** A request the API refuses: HTTP status, upstream error code (or -1 when none applies), reason and details. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final int errorCode;
    private final Map<String, Object> details;
    private final long retryAfterSeconds;

    public ApiException(int status, int errorCode, String message, Map<String, Object> details) {
        this(status, errorCode, message, details, 0);
    }

    /** A refusal that also tells when to try again ({@code Retry-After}, seconds; 0 for none). */
    public ApiException(int status, int errorCode, String message, Map<String, Object> details, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
        this.details = details == null ? Map.of() : details;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 429 Too Many Requests with a {@code Retry-After}. */
    public static ApiException tooManyRequests(String message, Map<String, Object> details, long retryAfterSeconds) {
        Map<String, Object> d = new java.util.LinkedHashMap<>(details == null ? Map.of() : details);
        d.put("retry_after", Math.max(1, retryAfterSeconds));
        return new ApiException(429, -1, message, d, Math.max(1, retryAfterSeconds));
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
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

package org.aleph4j.crn;

import java.util.Map;

/**
 * A failure the CRN reports to its HTTP client: the status, a one-line message and details. The
 * single exception mapper of the node turns it into {@code {"error", "error_code", "details"}}.
 */
public class CrnException extends RuntimeException {
    private final int status;
    private final int errorCode;
    private final Map<String, Object> details;

    public CrnException(int status, String message) {
        this(status, message, Map.of());
    }

    public CrnException(int status, String message, Map<String, Object> details) {
        this(status, -1, message, details);
    }

    public CrnException(int status, int errorCode, String message, Map<String, Object> details) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
        this.details = details == null ? Map.of() : details;
    }

    public int status() {
        return status;
    }

    /** Upstream message error code when the failure comes from one, else the HTTP status. */
    public int errorCode() {
        return errorCode >= 0 ? errorCode : status;
    }

    public Map<String, Object> details() {
        return details;
    }
}

package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;

/**
 * A CCN call failed. When the CCN answered, carries its HTTP status and, if the body was upstream's
 * JSON error ({@code {"error", "error_code", "details"}}) or a rejected message status, the
 * error code and details. When the CCN could not be reached, {@link #httpStatus()} is 0 and
 * {@link #isUnreachable()} is true.
 */
public class CcnException extends IOException {
    private final URI url;
    private final int httpStatus;
    private final Integer errorCode;
    private final JsonNode details;
    private final JsonNode body;

    public CcnException(URI url, int httpStatus, Integer errorCode, String message, JsonNode details, JsonNode body) {
        super(message);
        this.url = url;
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.details = details;
        this.body = body;
    }

    /** The CCN could not be reached (connection refused, timeout, DNS...). */
    public static CcnException unreachable(URI url, Throwable cause) {
        String reason = cause instanceof java.net.http.HttpTimeoutException ? "timed out"
                : cause instanceof java.net.ConnectException ? "connection refused"
                : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        CcnException e = new CcnException(url, 0, null, "cannot reach " + url + ": " + reason, null, null);
        e.initCause(cause);
        return e;
    }

    /** The URL that was called. */
    public URI url() {
        return url;
    }

    /** HTTP status of the answer, 0 when there was none. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Upstream error code (reference §5.2) when the CCN gave one, else null. */
    public Integer errorCode() {
        return errorCode;
    }

    /** Structured details of the error, or null. */
    public JsonNode details() {
        return details;
    }

    /** The whole JSON body of the answer, or null when it was not JSON. */
    public JsonNode body() {
        return body;
    }

    public boolean isUnreachable() {
        return httpStatus == 0;
    }
}

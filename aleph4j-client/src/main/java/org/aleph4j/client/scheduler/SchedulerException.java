package org.aleph4j.client.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;

/**
 * A scheduler call failed: {@link #httpStatus()} is 0 when no scheduler answered; otherwise it
 * carries the JSON error {@code {"error", "error_code", "details"}} the scheduler returned.
 */
public class SchedulerException extends RuntimeException {
    private final URI url;
    private final int httpStatus;
    private final int errorCode;
    private final JsonNode details;

    public SchedulerException(URI url, int httpStatus, int errorCode, String message, JsonNode details) {
        super(message);
        this.url = url;
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.details = details;
    }

    public URI url() {
        return url;
    }

    /** HTTP status, 0 when unreachable. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The scheduler's error_code (see docs/scheduler.md), -1 when none. */
    public int errorCode() {
        return errorCode;
    }

    public JsonNode details() {
        return details;
    }

    public boolean isUnreachable() {
        return httpStatus == 0;
    }
}

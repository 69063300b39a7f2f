package org.aleph4j.scheduler.engine;

import java.util.Map;

/** A typed error of the scheduler API, mapped to {@code {"error","error_code","details"}} with its HTTP status. */
public final class SchedulerError extends RuntimeException {
    public static final int INVALID_FORMAT = 0;
    public static final int INVALID_SIGNATURE = 1;
    public static final int NODE_NOT_ALLOWED = 2;
    public static final int STALE_REQUEST = 3;
    public static final int REPLAYED_REQUEST = 4;
    /** A heartbeat naming another incarnation than the current one; answered signed, with the current one. */
    public static final int STALE_INCARNATION = org.aleph4j.client.scheduler.HeartbeatAnswer.IncarnationChanged.ERROR_CODE;
    public static final int NOT_FOUND = 10;
    public static final int NOT_LEADER = 20;
    /** The request comes from a node that does not hold the program's lease under that epoch (now). */
    public static final int FENCED = 30;
    /** A snapshot that does not extend the volume's head (details: {@code head_seq}). */
    public static final int NOT_HEAD = 31;
    /** The owner's request cannot be done in the program's state (details say why). */
    public static final int CONFLICT = 32;
    /** The request is signed by someone else than the program's owner. */
    public static final int NOT_OWNER = 33;

    private final int httpStatus;
    private final int errorCode;
    private final Map<String, Object> details;

    public SchedulerError(int httpStatus, int errorCode, String message, Map<String, Object> details) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.details = details == null ? Map.of() : details;
    }

    public static SchedulerError badRequest(String message) {
        return new SchedulerError(400, INVALID_FORMAT, message, Map.of());
    }

    public static SchedulerError notFound(String message) {
        return new SchedulerError(404, NOT_FOUND, message, Map.of());
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int errorCode() {
        return errorCode;
    }

    public Map<String, Object> details() {
        return details;
    }
}

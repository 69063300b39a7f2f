package org.aleph4j.crn.prepare;

import java.io.IOException;

/** An archive that cannot be unpacked; {@code limit} names the {@link PrepareLimits} bound it broke, if any. */
final class UnpackException extends IOException {
    private final String limit;
    private final Object max;
    private final boolean nodeFault;

    UnpackException(String message) {
        this(message, null, null);
    }

    UnpackException(String message, String limit, Object max) {
        this(message, limit, max, false);
    }

    private UnpackException(String message, String limit, Object max, boolean nodeFault) {
        super(message);
        this.limit = limit;
        this.max = max;
        this.nodeFault = nodeFault;
    }

    /** The node, not the archive, is at fault (a tool is missing): not the archive's failure to remember. */
    static UnpackException nodeFault(String message) {
        return new UnpackException(message, null, null, true);
    }

    boolean isNodeFault() {
        return nodeFault;
    }

    static UnpackException limit(String message, String limit, Object max) {
        return new UnpackException(message, limit, max);
    }

    String limit() {
        return limit;
    }

    Object max() {
        return max;
    }
}

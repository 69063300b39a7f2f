package org.aleph4j.crn.volumes;

import java.io.IOException;

/**
 * A volume operation that failed: a tool that exited non-zero or ran past its time (the message
 * names the tool and ends with what it printed on stderr), a volume that is not this node's, or a
 * snapshot or chain that cannot be applied.
 */
public class VolumeException extends IOException {
    public VolumeException(String message) {
        super(message);
    }

    public VolumeException(String message, Throwable cause) {
        super(message, cause);
    }
}

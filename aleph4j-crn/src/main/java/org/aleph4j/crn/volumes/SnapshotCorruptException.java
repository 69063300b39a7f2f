package org.aleph4j.crn.volumes;

/**
 * A stored snapshot that is not what was stored: a part whose bytes do not hash to its ref or
 * whose size is wrong, a missing part, or an encrypted stream that fails authentication (altered,
 * truncated, reordered, encrypted under another key or for another volume or sequence number).
 * Nothing read from such a snapshot is ever applied to a volume.
 */
public class SnapshotCorruptException extends VolumeException {
    public SnapshotCorruptException(String message) {
        super(message);
    }

    public SnapshotCorruptException(String message, Throwable cause) {
        super(message, cause);
    }
}

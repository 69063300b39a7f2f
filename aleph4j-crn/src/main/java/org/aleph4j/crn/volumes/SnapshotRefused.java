package org.aleph4j.crn.volumes;

/**
 * The scheduler refused a snapshot: this node no longer holds the program's lease under its epoch
 * (it is fenced), or the snapshot does not extend the volume's head. The node must stop taking
 * snapshots of the volume.
 */
public class SnapshotRefused extends Exception {
    public SnapshotRefused(String message) {
        super(message);
    }

    public SnapshotRefused(String message, Throwable cause) {
        super(message, cause);
    }
}

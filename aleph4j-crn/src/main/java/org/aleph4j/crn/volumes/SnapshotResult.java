package org.aleph4j.crn.volumes;

import java.util.List;

/**
 * What one {@link VolumeSnapshots#snapshotNow} did. Sending, encrypting and uploading are one
 * stream, so {@code sendMs} (until {@code btrfs send} finished) and {@code uploadMs} (until the last
 * part was stored) both count from the start of the stream and overlap.
 *
 * @param changedBytes estimate of the file data that changed (the write commands of the send stream)
 * @param shippedBytes the encrypted stream stored off the node
 */
public record SnapshotResult(Outcome outcome, long seq, Long parentSeq, boolean full, long snapshotMs, long sendMs,
                             long uploadMs, long reportMs, long changedBytes, long shippedBytes, List<String> parts) {
    public enum Outcome {
        /** Nothing was written since the head: no snapshot was taken. */
        UNCHANGED,
        /** The snapshot is stored and the volume's head now. */
        ACCEPTED,
        /** The scheduler refused it: the node is fenced and takes no more snapshots of the volume. */
        REFUSED
    }

    public SnapshotResult {
        parts = parts == null ? List.of() : List.copyOf(parts);
    }

    static SnapshotResult unchanged(long head) {
        return new SnapshotResult(Outcome.UNCHANGED, head, null, false, 0, 0, 0, 0, 0, 0, List.of());
    }
}

package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * One accepted snapshot of a persistent volume: {@code seq} (1, 2, … per volume, never reused),
 * the {@code parentSeq} it is a delta against (null for a full one), the lease epoch it was taken
 * under, the size of its (encrypted) stream in {@code bytes}, and the content-addressed files
 * ({@code parts}, in order) that hold the stream.
 */
public record SnapshotRef(long seq, Long parentSeq, long epoch, boolean full, long bytes, List<String> parts,
                          double time, String nodeAddress) {
    public SnapshotRef {
        parts = parts == null ? List.of() : List.copyOf(parts);
    }
}

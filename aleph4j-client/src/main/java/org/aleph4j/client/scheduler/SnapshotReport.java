package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * Body of {@code POST /api/v1/volumes/snapshots}, signed like a heartbeat: the node holding
 * {@code itemHash} under {@code epoch} took snapshot {@code seq} of volume {@code volumeId}, a delta
 * against {@code parentSeq} (null: full), and stored its encrypted stream as {@code parts}. Accepted
 * only from the current lease holder with the current epoch, and only when {@code seq} extends the
 * volume's head (so a volume's history never forks); otherwise refused with 409.
 */
public record SnapshotReport(String nodeAddress, String itemHash, long epoch, String volumeId, long seq, Long parentSeq,
                             boolean full, long bytes, List<String> parts, String nonce, double time) {
    public SnapshotReport {
        parts = parts == null ? List.of() : List.copyOf(parts);
    }
}

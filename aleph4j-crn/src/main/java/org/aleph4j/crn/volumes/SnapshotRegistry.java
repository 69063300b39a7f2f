package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.util.List;

/**
 * Where a node reports the snapshots it stored, so that the next node restores them: the
 * scheduler ({@code POST /api/v1/volumes/snapshots} through
 * {@link org.aleph4j.client.scheduler.SchedulerClient#reportSnapshot}, whose implementation binds the
 * program's item hash and the node's lease epoch). It accepts a snapshot only from the current lease
 * holder and only when it extends the volume's head.
 */
public interface SnapshotRegistry {
    /**
     * Reports snapshot {@code seq} of {@code volumeId}: a delta against {@code parentSeq} (null when
     * {@code full}), {@code bytes} of encrypted stream stored as {@code parts}. Returns when accepted.
     * Reporting the same snapshot again after an answer was lost must be answered the same way.
     *
     * @throws SnapshotRefused when refused (409: fenced or not the head's child)
     * @throws IOException     when the answer is unknown (the scheduler could not be reached)
     */
    void report(String volumeId, long seq, Long parentSeq, boolean full, long bytes, List<String> parts)
            throws SnapshotRefused, IOException;
}

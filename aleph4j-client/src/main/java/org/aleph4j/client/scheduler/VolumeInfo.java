package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * A persistent volume of a persistent program as {@code GET /api/v1/vms/{hash}} shows it: its
 * identity and size, its last accepted snapshot (null: none yet), and every restore, one per
 * placement that used it.
 */
public record VolumeInfo(String volumeId, String name, String mount, Integer sizeMib, SnapshotRef lastSnapshot,
                         List<RestoreRecord> restores) {
    public VolumeInfo {
        restores = restores == null ? List.of() : List.copyOf(restores);
    }

    /**
     * A restore: when a node holding the program under {@code epoch} asked for the volume, and the
     * snapshot it was given ({@code seq}, null: the volume had none, it started empty).
     */
    public record RestoreRecord(double time, String nodeAddress, String nodeHash, long epoch, Long seq) {}
}

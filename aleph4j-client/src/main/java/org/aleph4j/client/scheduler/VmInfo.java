package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * A persistent program as the scheduler sees it ({@code GET /api/v1/vms/{hash}}). {@code status}
 * is {@code allocated}, {@code pending} or {@code removed}; {@code schedulingStatus} uses upstream's
 * names ({@code scheduled}, {@code unscheduled}, {@code unschedulable}, {@code migrating},
 * {@code removed}); {@code since} is when the current allocation was made (seconds); {@code migrationTarget} the node
 * hash an owner asked to move it to (while {@code migrating}); {@code volumes} its persistent volumes.
 */
public record VmInfo(String vmHash, String vmType, String owner, String status, String schedulingStatus,
                     String allocatedNode, String nodeAddress, String nodeUrl, Long epoch, Double since,
                     String migrationTarget, String reason, List<MoveRecord> history, List<VolumeInfo> volumes) {
    public VmInfo {
        history = history == null ? List.of() : List.copyOf(history);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
    }
}

package org.aleph4j.client.scheduler;

import java.util.List;

/**
 * A persistent program as the scheduler sees it ({@code GET /api/v1/vms/{hash}}). {@code status}
 * is {@code allocated}, {@code pending} or {@code removed}; {@code schedulingStatus} uses upstream's
 * names ({@code scheduled}, {@code unscheduled}, {@code unschedulable}, {@code migrating},
 * {@code removed}); {@code since} is when the current allocation was made (seconds); {@code migrationTarget} the node
 * hash an owner asked to move it to (while {@code migrating}); {@code volumes} its persistent volumes;
 * {@code lastError} the newest failure the scheduler moved it for (a crash loop on a node, with the
 * program's last error), null when it never failed.
 */
public record VmInfo(String vmHash, String vmType, String owner, String status, String schedulingStatus,
                     String allocatedNode, String nodeAddress, String nodeUrl, Long epoch, Double since,
                     String migrationTarget, String reason, List<MoveRecord> history, List<VolumeInfo> volumes,
                     String lastError) {
    public VmInfo {
        history = history == null ? List.of() : List.copyOf(history);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
    }

    public VmInfo(String vmHash, String vmType, String owner, String status, String schedulingStatus, String allocatedNode,
                  String nodeAddress, String nodeUrl, Long epoch, Double since, String migrationTarget, String reason,
                  List<MoveRecord> history, List<VolumeInfo> volumes) {
        this(vmHash, vmType, owner, status, schedulingStatus, allocatedNode, nodeAddress, nodeUrl, epoch, since, migrationTarget,
                reason, history, volumes, null);
    }

    /** True when every node it could run on was given up after it failed there (the scheduler stopped trying). */
    public boolean failedEverywhere() {
        return "unschedulable".equals(schedulingStatus) && lastError != null && reason != null
                && reason.startsWith(GIVEN_UP);
    }

    /** How the scheduler's unschedulable reason starts when every matching node was given up. */
    public static final String GIVEN_UP = "every matching node was given up";
}

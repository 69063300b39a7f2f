package org.aleph4j.client.scheduler;

/**
 * Upstream's {@code GET /api/v0/allocation/{vm_hash}} shape, plus aleph4j's fencing {@code epoch}.
 */
public record Allocation(String vmHash, String vmType, String vmIpv6, Period period, Node node, Long epoch) {
    /** The scheduling period (upstream shape). */
    public record Period(double startTimestamp, int durationSeconds) {}

    /** Where the VM runs: node id (node hash), base URL of the CRN. */
    public record Node(String nodeId, String url, String ipv6, boolean supportsIpv6) {}
}

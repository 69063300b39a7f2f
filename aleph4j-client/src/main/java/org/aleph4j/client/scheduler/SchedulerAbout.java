package org.aleph4j.client.scheduler;

/**
 * {@code GET /api/v1/about}: the address of the key this scheduler signs heartbeat answers with (what
 * a CRN lists in {@code scheduler-addresses}), whether it leads, the leader's URL, the incarnation it
 * leads (0 while standby) and the lease it grants.
 */
public record SchedulerAbout(String address, boolean leading, String leaderUrl, long incarnation, long leaseTtlMs) {}

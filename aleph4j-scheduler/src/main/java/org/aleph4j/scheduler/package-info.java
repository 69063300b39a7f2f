/**
 * The scheduler role: {@link org.aleph4j.scheduler.SchedulerNode} wires placement, leases, the
 * database, leader election, the CCN follower and the HTTP API from a {@link org.aleph4j.scheduler.SchedulerConfig}.
 */
package org.aleph4j.scheduler;

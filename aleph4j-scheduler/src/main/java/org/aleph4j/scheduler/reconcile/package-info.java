/**
 * Reconciliation of the scheduler, as a pure function from a snapshot (nodes, programs, leases, now)
 * to decisions: lapse, deallocate, place under the next epoch, mark unschedulable, revoke, avoid.
 * {@link org.aleph4j.scheduler.reconcile.SchedulingState} applies them to the leader's memory and a
 * {@link org.aleph4j.scheduler.reconcile.PlanSink} makes them durable; no clock, no I/O, no threads here.
 */
package org.aleph4j.scheduler.reconcile;

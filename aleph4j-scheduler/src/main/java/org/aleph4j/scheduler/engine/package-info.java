/**
 * The scheduler's shell around the pure reconciler: heartbeats renew leases in memory only, a
 * periodic placement cycle writes what they queued, lets lapsed leases go and places pending programs;
 * store snapshots go in, decisions come out and are written through to the database outside the lease
 * lock, and a placement's lease exists only once its epoch is durable.
 */
package org.aleph4j.scheduler.engine;

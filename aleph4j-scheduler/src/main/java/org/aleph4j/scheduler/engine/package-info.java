/**
 * The scheduler's shell around the pure reconciler: heartbeats renew leases, a periodic tick lets
 * lapsed leases go and places pending programs; store snapshots go in, decisions come out and are
 * written through to the database, all under one lock.
 */
package org.aleph4j.scheduler.engine;

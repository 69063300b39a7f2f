/**
 * The scheduler's shell around the pure lease book and placement: heartbeats grant and renew leases,
 * a periodic tick lets lapsed leases go and places pending programs, everything written through to the
 * database under one lock.
 */
package org.aleph4j.scheduler.engine;

/**
 * The scheduler's HTTP API: the signed CRN protocol (heartbeat, release; heartbeat answers signed with
 * the scheduler's key), the replay memory of request nonces, and the public read API in upstream's
 * shapes, with one exception mapper.
 */
package org.aleph4j.scheduler.api;

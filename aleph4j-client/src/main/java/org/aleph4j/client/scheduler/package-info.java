/**
 * Client of the aleph4j scheduler: the signed CRN protocol ({@code POST /api/v1/heartbeat},
 * {@code POST /api/v1/release}) and the public read API ({@code /api/v0/allocation/{hash}},
 * {@code /api/v1/vms}, {@code /api/v1/nodes}). The wire records here are shared by the scheduler
 * server, so both sides agree on the JSON by construction.
 */
package org.aleph4j.client.scheduler;

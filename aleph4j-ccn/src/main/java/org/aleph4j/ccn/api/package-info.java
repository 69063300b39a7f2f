/**
 * The CCN's HTTP surface: {@link org.aleph4j.ccn.api.CcnApi} lists every route (upstream paths) and holds the one
 * mapper from errors to {@code {"error","error_code","details"}}; message submission and reads, upstream's list views
 * (posts, aggregates, an address's files), query parsing and the shared JSON answers live here, while file, balance and websocket handlers live in their own packages.
 */
package org.aleph4j.ccn.api;

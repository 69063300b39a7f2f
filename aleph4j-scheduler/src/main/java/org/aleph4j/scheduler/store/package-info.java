/**
 * The scheduler's durable state (JDBI + Flyway; SQLite under the data dir or PostgreSQL): nodes,
 * programs with their last epoch, allocations with lease grant times, the history of moves, the
 * stream cursor and the leader row.
 */
package org.aleph4j.scheduler.store;

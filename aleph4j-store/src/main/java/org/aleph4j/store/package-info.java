/** The SQL setup shared by the CCN's and the scheduler's stores: pooled SQLite or PostgreSQL, migrated by Flyway. */
package org.aleph4j.store;

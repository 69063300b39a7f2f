/** The message log and balances in SQL (SQLite or PostgreSQL) through JDBI, with Flyway migrations per dialect. */
package org.aleph4j.ccn.storage;

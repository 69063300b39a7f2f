package org.aleph4j.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiFunction;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Opens a service's database: PostgreSQL when the JDBC URL says so, else SQLite in a file of the
 * service's data directory (WAL, so readers proceed while the busy timeout queues writers), as a
 * Hikari pool, migrated by Flyway before it is handed out. {@code durable} SQLite commits are synced
 * to disk ({@code synchronous=FULL}): what such a store grants (an epoch) survives a power loss;
 * otherwise {@code NORMAL}, which may lose the last commits but never corrupts.
 */
public final class SqlStore {
    public enum Dialect {
        SQLITE, POSTGRESQL;

        public static Dialect of(String jdbcUrl) {
            return jdbcUrl.startsWith("jdbc:postgresql:") ? POSTGRESQL : SQLITE;
        }
    }

    /**
     * @param poolName       Hikari pool name (shows in logs and metrics)
     * @param sqlitePool     connections on SQLite (one writer at a time anyway)
     * @param postgresPool   connections on PostgreSQL
     * @param connectTimeout how long a caller waits for a connection
     * @param durable        SQLite commits synced to disk ({@code synchronous=FULL})
     * @param foreignKeys    SQLite enforces foreign keys
     */
    public record Settings(String poolName, int sqlitePool, int postgresPool, Duration connectTimeout, boolean durable,
                           boolean foreignKeys) {}

    /** An open, migrated database. */
    public record Opened(HikariDataSource dataSource, Dialect dialect) implements AutoCloseable {
        @Override
        public void close() {
            dataSource.close();
        }
    }

    private SqlStore() {}

    /**
     * Opens {@code jdbcUrl}, or SQLite at {@code sqliteFile} when it is null, and migrates it with
     * the Flyway configuration {@code migrations} makes for its dialect.
     */
    public static Opened open(String jdbcUrl, Path sqliteFile, Settings s,
                              BiFunction<Dialect, FluentConfiguration, FluentConfiguration> migrations) {
        HikariDataSource ds = pool(jdbcUrl, sqliteFile, s);
        Dialect dialect = Dialect.of(ds.getJdbcUrl());
        try {
            migrations.apply(dialect, Flyway.configure().dataSource(ds)).load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Opened(ds, dialect);
    }

    /**
     * A pool on {@code jdbcUrl} (or SQLite at {@code sqliteFile}) with the same connection settings as
     * {@link #open}, without migrating: a second, separate pool on a database opened already (so that one
     * kind of work cannot take every connection another needs).
     */
    public static HikariDataSource pool(String jdbcUrl, Path sqliteFile, Settings s) {
        String url = jdbcUrl != null ? jdbcUrl : "jdbc:sqlite:" + sqliteFile.toAbsolutePath();
        Dialect dialect = Dialect.of(url);
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setPoolName(s.poolName());
        hc.setConnectionTimeout(s.connectTimeout().toMillis());
        if (dialect == Dialect.SQLITE) {
            hc.setMaximumPoolSize(s.sqlitePool());
            hc.setConnectionInitSql("PRAGMA busy_timeout=10000");
            hc.addDataSourceProperty("journal_mode", "WAL");
            hc.addDataSourceProperty("synchronous", s.durable() ? "FULL" : "NORMAL");
            hc.addDataSourceProperty("busy_timeout", "10000");
            if (s.foreignKeys()) hc.addDataSourceProperty("foreign_keys", "true");
        } else {
            hc.setMaximumPoolSize(s.postgresPool());
            if (!url.contains("user=")) hc.setUsername("postgres");
        }
        return new HikariDataSource(hc);
    }
}

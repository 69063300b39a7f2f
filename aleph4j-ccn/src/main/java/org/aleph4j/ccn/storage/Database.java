package org.aleph4j.ccn.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/** The SQL database of a CCN: SQLite (WAL, busy timeout) by default, PostgreSQL when the JDBC URL says so. */
public final class Database implements AutoCloseable {
    public enum Dialect { SQLITE, POSTGRESQL }

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final Dialect dialect;
    // SQLite has one writer at a time and its busy handler waits by sleeping; queueing writers on an in-process
    // lock instead keeps them from sleeping on each other.
    private final ReentrantLock writeLock = new ReentrantLock(true);

    private Database(HikariDataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.jdbi = Jdbi.create(dataSource);
    }

    /** Opens (and migrates) the database at {@code jdbcUrl}, or SQLite at {@code dataDir/ccn.sqlite} when null. */
    public static Database open(String jdbcUrl, Path dataDir) {
        String url = jdbcUrl != null ? jdbcUrl : "jdbc:sqlite:" + dataDir.resolve("ccn.sqlite").toAbsolutePath();
        Dialect dialect = url.startsWith("jdbc:postgresql:") ? Dialect.POSTGRESQL : Dialect.SQLITE;
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setPoolName("ccn-db");
        hc.setConnectionTimeout(10_000);
        if (dialect == Dialect.SQLITE) {
            // One SQLite file allows one writer at a time; a small pool with WAL lets readers proceed while
            // the busy timeout makes concurrent writers wait instead of failing.
            hc.setMaximumPoolSize(4);
            hc.setConnectionInitSql("PRAGMA busy_timeout=10000");
            hc.addDataSourceProperty("journal_mode", "WAL");
            hc.addDataSourceProperty("synchronous", "NORMAL");
            hc.addDataSourceProperty("busy_timeout", "10000");
            hc.addDataSourceProperty("foreign_keys", "true");
        } else {
            hc.setMaximumPoolSize(8);
            if (!url.contains("user=")) hc.setUsername("postgres");
        }
        HikariDataSource ds = new HikariDataSource(hc);
        try {
            Flyway.configure().dataSource(ds)
                    .locations(dialect == Dialect.SQLITE ? "classpath:db/sqlite" : "classpath:db/postgresql")
                    .load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds, dialect);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** Runs {@code work} in a write transaction (serialised in-process on SQLite). */
    public <R, X extends Exception> R write(HandleCallback<R, X> work) throws X {
        if (dialect != Dialect.SQLITE) return jdbi.inTransaction(work);
        writeLock.lock();
        try {
            return jdbi.inTransaction(work);
        } finally {
            writeLock.unlock();
        }
    }

    public Dialect dialect() {
        return dialect;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}

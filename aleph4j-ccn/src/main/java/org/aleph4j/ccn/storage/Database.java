package org.aleph4j.ccn.storage;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import org.aleph4j.store.SqlStore;
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
        // a CCN re-derives nothing it could lose in the last commits before a power loss: NORMAL suffices
        SqlStore.Opened db = SqlStore.open(jdbcUrl, dataDir.resolve("ccn.sqlite"),
                new SqlStore.Settings("ccn-db", 4, 8, Duration.ofSeconds(10), false, true),
                (dialect, flyway) -> flyway.locations(dialect == SqlStore.Dialect.SQLITE ? "classpath:db/sqlite" : "classpath:db/postgresql"));
        return new Database(db.dataSource(), db.dialect() == SqlStore.Dialect.SQLITE ? Dialect.SQLITE : Dialect.POSTGRESQL);
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

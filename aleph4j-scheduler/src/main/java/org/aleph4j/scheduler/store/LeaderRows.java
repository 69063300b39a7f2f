package org.aleph4j.scheduler.store;

import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.aleph4j.scheduler.store.Records.LeaderRow;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The leader row ({@code sched_leader}): who leads, until when on the database's clock, and the
 * incarnation of each leadership. On PostgreSQL it has connections of its own, so the leader keeps
 * renewing its row while placement waits on locked tables and holds the other connections.
 */
public final class LeaderRows {
    private final Jdbi jdbi;
    /** SQLite's single writer (shared with the other tables), or null on PostgreSQL. */
    private final ReentrantLock sqliteWriter;
    /** The database's clock in epoch milliseconds, in this dialect's SQL. */
    private final String dbNowMs;

    LeaderRows(Jdbi jdbi, ReentrantLock sqliteWriter, boolean postgres) {
        this.jdbi = jdbi;
        this.sqliteWriter = sqliteWriter;
        // SQLite's clock is the host's, read by SQL so that it is the same for every process on that file.
        this.dbNowMs = postgres ? "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"
                : "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";
    }

    private <T> T write(Function<Handle, T> work) {
        if (sqliteWriter != null) sqliteWriter.lock();
        try {
            return jdbi.inTransaction(work::apply);
        } finally {
            if (sqliteWriter != null) sqliteWriter.unlock();
        }
    }


    /**
     * Becomes leader when the row is free: held by nobody, expired on the DATABASE's clock, or held by
     * this holder already (a leader that lost confidence in its lease and comes back). The same
     * conditional UPDATE increments the incarnation, so two schedulers can never both succeed, whatever
     * their own clocks say, and every leadership has its own number. Returns that incarnation, or empty.
     */
    public OptionalLong takeLead(String holder, String url, long ttlMs) {
        return write(h -> {
            int won = h.createUpdate("UPDATE sched_leader SET holder = :h, url = :u, expires_ms = " + dbNowMs + " + :ttl, "
                            + "incarnation = incarnation + 1 WHERE id = 1 AND (holder = :h OR expires_ms < " + dbNowMs + ")")
                    .bind("h", holder).bind("u", url).bind("ttl", ttlMs).setQueryTimeout(queryTimeoutSeconds(ttlMs))
                    .execute();
            if (won != 1) return OptionalLong.empty();
            return OptionalLong.of(h.createQuery("SELECT incarnation FROM sched_leader WHERE id = 1").mapTo(Long.class).one());
        });
    }

    /**
     * Extends this holder's lease to {@code ttlMs} past the database's clock; false when another
     * scheduler holds the row (leadership is lost).
     */
    public boolean renewLead(String holder, String url, long ttlMs) {
        return write(h -> h.createUpdate("UPDATE sched_leader SET url = :u, expires_ms = " + dbNowMs + " + :ttl "
                        + "WHERE id = 1 AND holder = :h")
                .bind("h", holder).bind("u", url).bind("ttl", ttlMs).setQueryTimeout(queryTimeoutSeconds(ttlMs))
                .execute() == 1);
    }

    /** A statement on the leader row that outlasts the lease is pointless: give up after it. */
    private static int queryTimeoutSeconds(long ttlMs) {
        return (int) Math.max(1, (ttlMs + 999) / 1000);
    }

    /** Gives leadership up at once (clean shutdown), so a standby need not wait for expiry. */
    public void resign(String holder) {
        write(h -> h.createUpdate("UPDATE sched_leader SET expires_ms = 0 WHERE id = 1 AND holder = :h")
                .bind("h", holder).execute());
    }

    /** The leader row, read on the leader row's own connections. */
    public LeaderRow leader() {
        return jdbi.withHandle(h -> h.createQuery("SELECT holder, url, expires_ms, incarnation FROM sched_leader WHERE id = 1")
                .map((rs, ctx) -> new LeaderRow(rs.getString("holder"), rs.getString("url"), rs.getLong("expires_ms"),
                        rs.getLong("incarnation")))
                .one());
    }
}

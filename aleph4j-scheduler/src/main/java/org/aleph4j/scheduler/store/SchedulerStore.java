package org.aleph4j.scheduler.store;

import com.zaxxer.hikari.HikariDataSource;
import org.aleph4j.scheduler.store.Records.AllocationRow;
import org.aleph4j.scheduler.store.Records.HistoryRow;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.store.SqlStore;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Typed access to the scheduler tables. Every multi-row change runs in one transaction. */
public final class SchedulerStore implements AutoCloseable {
    private static final Pattern CURRENT_SCHEMA = Pattern.compile("[?&]currentSchema=([A-Za-z0-9_]+)");

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    /**
     * The leader row's own pool on PostgreSQL (null on SQLite, where one file and one writer serve all):
     * the leader keeps renewing its row while placement waits on locked tables and holds connections.
     */
    private final HikariDataSource leaderDataSource;
    private final LeaderRows leaderRows;
    private final VolumeRows volumeRows;
    private final boolean postgres;
    /**
     * SQLite in WAL mode fails (SQLITE_BUSY, not retried by the busy timeout) when a transaction that
     * read first tries to write after another writer committed; one writer at a time avoids that.
     */
    private final ReentrantLock sqliteWriter = new ReentrantLock(true); // fair: the leader row waits its turn between batches
    /** The transaction of a {@link #batch} running on this thread. */
    private final ThreadLocal<Handle> batch = new ThreadLocal<>();
    private final java.util.concurrent.atomic.AtomicLong programWrites = new java.util.concurrent.atomic.AtomicLong();

    private SchedulerStore(HikariDataSource dataSource, HikariDataSource leaderDataSource, boolean postgres) {
        this.dataSource = dataSource;
        this.postgres = postgres;
        this.jdbi = Jdbi.create(dataSource);
        this.leaderDataSource = leaderDataSource;
        this.leaderRows = new LeaderRows(leaderDataSource == null ? jdbi : Jdbi.create(leaderDataSource), postgres ? null : sqliteWriter,
                postgres);
        this.volumeRows = new VolumeRows(jdbi, postgres, new VolumeRows.Writer() {
            @Override
            public <T> T write(Function<Handle, T> work) {
                return SchedulerStore.this.write(work);
            }
        });
    }

    /**
     * Opens and migrates the database at {@code jdbcUrl}, or SQLite at {@code dataDir/scheduler.sqlite}
     * when null. SQLite commits are synced to disk: an epoch the scheduler granted must survive a
     * power loss, or it could be granted again.
     */
    public static SchedulerStore open(String jdbcUrl, Path dataDir) {
        SqlStore.Opened db = SqlStore.open(jdbcUrl, dataDir.resolve("scheduler.sqlite"),
                new SqlStore.Settings("scheduler-db", 4, 6, Duration.ofSeconds(5), true, false),
                (dialect, flyway) -> {
                    // own location and history table: the CCN may share the classpath and the database
                    FluentConfiguration fc = flyway.locations("classpath:aleph4j/scheduler/db").table("sched_schema_history");
                    Matcher m = CURRENT_SCHEMA.matcher(jdbcUrl == null ? "" : jdbcUrl);
                    return dialect == SqlStore.Dialect.POSTGRESQL && m.find() ? fc.schemas(m.group(1)).createSchemas(true) : fc;
                });
        boolean postgres = db.dialect() == SqlStore.Dialect.POSTGRESQL;
        HikariDataSource leader = null;
        if (postgres) {
            try {
                leader = SqlStore.pool(jdbcUrl, dataDir.resolve("scheduler.sqlite"),
                        new SqlStore.Settings("scheduler-leader-db", 1, 2, Duration.ofSeconds(1), true, false));
            } catch (RuntimeException e) {
                db.close();
                throw e;
            }
        }
        return new SchedulerStore(db.dataSource(), leader, postgres);
    }

    public boolean postgres() {
        return postgres;
    }

    /** Runs a writing transaction, one at a time on SQLite; inside {@link #batch}, on the batch's transaction. */
    private <T> T write(Function<Handle, T> work) {
        Handle open = batch.get();
        if (open != null) return work.apply(open);
        if (!postgres) sqliteWriter.lock();
        try {
            return jdbi.inTransaction(work::apply);
        } finally {
            programWrites.incrementAndGet(); // after the commit: a reader that saw the old count reads again
            if (!postgres) sqliteWriter.unlock();
        }
    }

    /**
     * Runs {@code work} with every write of this store it makes on this thread in ONE transaction,
     * committed when it returns (rolled back when it throws): a placement cycle's hundreds of decisions,
     * or the rows queued by thousands of heartbeats, cost one commit (one sync on SQLite), not one each.
     */
    public void batch(Runnable work) {
        batch(work, true);
    }

    /**
     * A {@link #batch} of heartbeat rows only (node rows, grant times): they change nothing a reader of
     * {@link #writes} keeps (programs, allocations, epochs), so the count stays.
     */
    public void heartbeatBatch(Runnable work) {
        batch(work, false);
    }

    private void batch(Runnable work, boolean counts) {
        if (batch.get() != null) {
            work.run();
            return;
        }
        if (!postgres) sqliteWriter.lock();
        try {
            jdbi.useTransaction(h -> {
                batch.set(h);
                try {
                    work.run();
                } finally {
                    batch.remove();
                }
            });
        } finally {
            if (counts) programWrites.incrementAndGet();
            if (!postgres) sqliteWriter.unlock();
        }
    }

    /**
     * A number that changes whenever this store wrote programs or allocations: a reader may keep
     * what it read while it stays the same, and must read again once it changed.
     */
    public long writes() {
        return programWrites.get();
    }

    // ---------------------------------------------------------------- nodes

    private static final RowMapper<NodeRow> NODE = (rs, ctx) -> new NodeRow(rs.getString("address"),
            rs.getString("node_hash"), rs.getString("url"), rs.getInt("vcpus"), rs.getLong("memory_mib"),
            rs.getLong("disk_mib"), rs.getString("runtimes"), rs.getString("version"), rs.getString("executions"),
            rs.getLong("last_seen_ms"), rs.getString("executor"), rs.getInt("executor_isolated") == 1,
            rs.getInt("volumes") == 1);

    public void upsertNode(NodeRow n) {
        // isolated is stored as 0/1: one INTEGER column reads and binds the same on SQLite and PostgreSQL
        int isolatedFlag = n.isolated() ? 1 : 0;
        int volumesFlag = n.volumes() ? 1 : 0;
        write(h -> {
            int updated = h.createUpdate("UPDATE sched_nodes SET url=:url, vcpus=:vcpus, memory_mib=:memoryMib, "
                            + "disk_mib=:diskMib, runtimes=:runtimes, version=:version, executions=:executions, "
                            + "last_seen_ms=:lastSeenMs, executor=:executor, executor_isolated=:isolatedFlag, "
                            + "volumes=:volumesFlag WHERE address=:address")
                    .bindMethods(n).bind("isolatedFlag", isolatedFlag).bind("volumesFlag", volumesFlag).execute();
            if (updated == 0) {
                h.createUpdate("INSERT INTO sched_nodes (address, node_hash, url, vcpus, memory_mib, disk_mib, runtimes, "
                                + "version, executions, last_seen_ms, executor, executor_isolated, volumes) VALUES (:address, "
                                + ":nodeHash, :url, :vcpus, :memoryMib, :diskMib, :runtimes, :version, :executions, "
                                + ":lastSeenMs, :executor, :isolatedFlag, :volumesFlag)")
                        .bindMethods(n).bind("isolatedFlag", isolatedFlag).bind("volumesFlag", volumesFlag).execute();
            }
            return null;
        });
    }

    public List<NodeRow> nodes() {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_nodes ORDER BY address").map(NODE).list());
    }

    public Optional<NodeRow> node(String address) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_nodes WHERE address = :a")
                .bind("a", address.toLowerCase()).map(NODE).findOne());
    }

    public Optional<NodeRow> nodeByHash(String nodeHash) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_nodes WHERE node_hash = :h OR address = :h")
                .bind("h", nodeHash.toLowerCase()).map(NODE).findFirst());
    }

    // ---------------------------------------------------------------- programs

    private static final RowMapper<ProgramRow> PROGRAM = (rs, ctx) -> new ProgramRow(rs.getString("item_hash"),
            rs.getString("owner"), rs.getInt("vcpus"), rs.getLong("memory_mib"), rs.getString("runtime"),
            rs.getString("requirements"), rs.getString("status"), rs.getString("removed_reason"),
            rs.getString("unschedulable_reason"), rs.getString("avoid"), rs.getLong("epoch"), rs.getLong("created_ms"),
            rs.getString("volumes"), rs.getString("migrate_target"), rs.getString("migrate_from"));

    /** Inserts an active program unless it is known already; true when inserted. */
    public boolean insertProgram(ProgramRow p) {
        return write(h -> {
            if (h.createQuery("SELECT COUNT(*) FROM sched_programs WHERE item_hash = :i").bind("i", p.itemHash())
                    .mapTo(Integer.class).one() > 0) {
                return false;
            }
            h.createUpdate("INSERT INTO sched_programs (item_hash, owner, vcpus, memory_mib, runtime, requirements, status, "
                            + "removed_reason, unschedulable_reason, avoid, epoch, created_ms, volumes) VALUES (:itemHash, "
                            + ":owner, :vcpus, :memoryMib, :runtime, :requirements, :status, :removedReason, "
                            + ":unschedulableReason, :avoid, :epoch, :createdMs, :volumes)")
                    .bindMethods(p).execute();
            history(h, p.itemHash(), p.createdMs(), null, null, null, "persistent program registered");
            return true;
        });
    }

    public Optional<ProgramRow> program(String itemHash) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_programs WHERE item_hash = :i")
                .bind("i", itemHash).map(PROGRAM).findOne());
    }

    public List<ProgramRow> activePrograms() {
        return jdbi.withHandle(h -> h.createQuery(
                "SELECT * FROM sched_programs WHERE status = 'active' ORDER BY created_ms, item_hash").map(PROGRAM).list());
    }

    /** A page of programs, newest first, filtered by owner and item-hash prefix (either may be null). */
    public List<ProgramRow> programs(String owner, String hashPrefix, int offset, int limit) {
        return jdbi.withHandle(h -> {
            var q = h.createQuery("SELECT * FROM sched_programs" + where(owner, hashPrefix)
                    + " ORDER BY created_ms DESC, item_hash LIMIT :l OFFSET :f");
            bindFilters(q, owner, hashPrefix);
            return q.bind("l", limit).bind("f", offset).map(PROGRAM).list();
        });
    }

    public long countPrograms(String owner, String hashPrefix) {
        return jdbi.withHandle(h -> {
            var q = h.createQuery("SELECT COUNT(*) FROM sched_programs" + where(owner, hashPrefix));
            bindFilters(q, owner, hashPrefix);
            return q.mapTo(Long.class).one();
        });
    }

    // Filters are added only when given: PostgreSQL cannot type a bare "NULL IS NULL" parameter.
    private static String where(String owner, String hashPrefix) {
        if (owner == null && hashPrefix == null) return "";
        if (owner == null) return " WHERE item_hash LIKE :p";
        if (hashPrefix == null) return " WHERE LOWER(owner) = :o";
        return " WHERE LOWER(owner) = :o AND item_hash LIKE :p";
    }

    private static void bindFilters(org.jdbi.v3.core.statement.Query q, String owner, String hashPrefix) {
        if (owner != null) q.bind("o", owner.toLowerCase());
        if (hashPrefix != null) q.bind("p", hashPrefix.toLowerCase() + "%");
    }

    /** Marks a program removed and drops its allocation, with a history line; true when it was active. */
    public boolean removeProgram(String itemHash, String reason, long nowMs) {
        return write(h -> {
            Optional<AllocationRow> a = allocation(h, itemHash);
            int n = h.createUpdate("UPDATE sched_programs SET status = 'removed', removed_reason = :r "
                    + "WHERE item_hash = :i AND status = 'active'").bind("r", reason).bind("i", itemHash).execute();
            h.createUpdate("DELETE FROM sched_allocations WHERE item_hash = :i").bind("i", itemHash).execute();
            if (n > 0) history(h, itemHash, nowMs, a.map(AllocationRow::nodeAddress).orElse(null), null,
                    a.map(AllocationRow::epoch).orElse(null), "removed: " + reason);
            return n > 0;
        });
    }

    /** Brings a program removed for {@code reasonPrefix} (e.g. a balance problem) back; true when it did. */
    public boolean reactivate(String itemHash, String reasonPrefix, long nowMs) {
        return write(h -> {
            int n = h.createUpdate("UPDATE sched_programs SET status = 'active', removed_reason = NULL "
                            + "WHERE item_hash = :i AND status = 'removed' AND removed_reason LIKE :r")
                    .bind("i", itemHash).bind("r", reasonPrefix + "%").execute();
            if (n > 0) history(h, itemHash, nowMs, null, null, null, "active again: " + reasonPrefix + " cleared");
            return n > 0;
        });
    }

    public void setUnschedulable(String itemHash, String reason) {
        write(h -> h.createUpdate("UPDATE sched_programs SET unschedulable_reason = :r WHERE item_hash = :i")
                .bind("r", reason).bind("i", itemHash).execute());
    }

    /**
     * Records the migration its owner asked for ({@code target}: a node address, {@code ""} for any other)
     * of a program allocated to {@code from}; true when the program was active.
     */
    public boolean setMigration(String itemHash, String target, String from, long nowMs) {
        return write(h -> {
            int n = h.createUpdate("UPDATE sched_programs SET migrate_target = :t, migrate_from = :f "
                    + "WHERE item_hash = :i AND status = 'active'").bind("t", target).bind("f", from).bind("i", itemHash).execute();
            if (n > 0) history(h, itemHash, nowMs, from, target.isEmpty() ? null : target, null,
                    "migration asked by the owner" + (target.isEmpty() ? "" : " to " + target));
            return n > 0;
        });
    }

    public void setAvoid(String itemHash, String avoidJson) {
        write(h -> h.createUpdate("UPDATE sched_programs SET avoid = :a WHERE item_hash = :i")
                .bind("a", avoidJson).bind("i", itemHash).execute());
    }

    // ---------------------------------------------------------------- allocations

    private static final RowMapper<AllocationRow> ALLOCATION = (rs, ctx) -> new AllocationRow(rs.getString("item_hash"),
            rs.getString("node_address"), rs.getLong("epoch"), rs.getLong("since_ms"), rs.getLong("last_grant_ms"));

    public List<AllocationRow> allocations() {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_allocations ORDER BY item_hash").map(ALLOCATION).list());
    }

    public Optional<AllocationRow> allocation(String itemHash) {
        return jdbi.withHandle(h -> allocation(h, itemHash));
    }

    private static Optional<AllocationRow> allocation(Handle h, String itemHash) {
        return h.createQuery("SELECT * FROM sched_allocations WHERE item_hash = :i").bind("i", itemHash)
                .map(ALLOCATION).findOne();
    }

    /**
     * Allocates an active program to a node under the next epoch (read and bumped in the same
     * transaction, so epochs strictly increase even across restarts and leaders); returns that epoch,
     * or 0 when the program is no longer active (removed meanwhile): then nothing is written.
     */
    public long allocate(String itemHash, String nodeAddress, long nowMs, String fromNode, String reason) {
        return write(h -> {
            // a placement ends any migration that was asked
            int bumped = h.createUpdate("UPDATE sched_programs SET epoch = epoch + 1, unschedulable_reason = NULL, "
                    + "migrate_target = NULL, migrate_from = NULL WHERE item_hash = :i AND status = 'active'")
                    .bind("i", itemHash).execute();
            if (bumped == 0) return 0L;
            long epoch = h.createQuery("SELECT epoch FROM sched_programs WHERE item_hash = :i").bind("i", itemHash)
                    .mapTo(Long.class).one();
            h.createUpdate("DELETE FROM sched_allocations WHERE item_hash = :i").bind("i", itemHash).execute();
            h.createUpdate("INSERT INTO sched_allocations (item_hash, node_address, epoch, since_ms, last_grant_ms) "
                            + "VALUES (:i, :n, :e, :t, :t)")
                    .bind("i", itemHash).bind("n", nodeAddress.toLowerCase()).bind("e", epoch).bind("t", nowMs).execute();
            history(h, itemHash, nowMs, fromNode, nodeAddress.toLowerCase(), epoch, reason);
            return epoch;
        });
    }

    /** Drops an allocation with a history line; true when there was one. */
    public boolean deallocate(String itemHash, long nowMs, String reason) {
        return deallocate(itemHash, null, nowMs, reason);
    }

    /**
     * Drops the allocation of {@code itemHash} made under {@code epoch} (any epoch when null), with a
     * history line; true when there was one. With an epoch, a late write cannot drop a newer allocation.
     */
    public boolean deallocate(String itemHash, Long epoch, long nowMs, String reason) {
        return write(h -> {
            Optional<AllocationRow> a = allocation(h, itemHash);
            if (a.isEmpty() || (epoch != null && a.get().epoch() != epoch)) return false;
            h.createUpdate("DELETE FROM sched_allocations WHERE item_hash = :i AND epoch = :e").bind("i", itemHash)
                    .bind("e", a.get().epoch()).execute();
            history(h, itemHash, nowMs, a.get().nodeAddress(), null, a.get().epoch(), reason);
            return true;
        });
    }

    /** Records the time of the latest lease grants of a node (display only: lease logic is monotonic and in memory). */
    public void touchGrants(String nodeAddress, List<String> itemHashes, long nowMs) {
        if (itemHashes.isEmpty()) return;
        write(h -> h.createUpdate("UPDATE sched_allocations SET last_grant_ms = :t "
                        + "WHERE node_address = :n AND item_hash IN (<items>)")
                .bind("t", nowMs).bind("n", nodeAddress.toLowerCase()).bindList("items", itemHashes).execute());
    }

    // ---------------------------------------------------------------- history

    private static void history(Handle h, String itemHash, long timeMs, String from, String to, Long epoch, String reason) {
        h.createUpdate("INSERT INTO sched_history (item_hash, time_ms, from_node, to_node, epoch, reason) "
                        + "VALUES (:i, :t, :f, :to, :e, :r)")
                .bind("i", itemHash).bind("t", timeMs).bind("f", from).bind("to", to).bind("e", epoch)
                .bind("r", reason.length() > 1000 ? reason.substring(0, 1000) : reason).execute();
    }

    public void addHistory(String itemHash, long timeMs, String from, String to, Long epoch, String reason) {
        write(h -> {
            history(h, itemHash, timeMs, from, to, epoch, reason);
            return null;
        });
    }

    public List<HistoryRow> history(String itemHash) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_history WHERE item_hash = :i ORDER BY time_ms")
                .bind("i", itemHash)
                .map((rs, ctx) -> new HistoryRow(rs.getString("item_hash"), rs.getLong("time_ms"), rs.getString("from_node"),
                        rs.getString("to_node"), rs.getObject("epoch") == null ? null : rs.getLong("epoch"),
                        rs.getString("reason")))
                .list());
    }

    /** History lines of every program at or after {@code sinceMs}, newest first, at most {@code limit}. */
    public List<HistoryRow> historySince(long sinceMs, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_history WHERE time_ms >= :t ORDER BY time_ms DESC LIMIT :n")
                .bind("t", sinceMs).bind("n", limit)
                .map((rs, ctx) -> new HistoryRow(rs.getString("item_hash"), rs.getLong("time_ms"), rs.getString("from_node"),
                        rs.getString("to_node"), rs.getObject("epoch") == null ? null : rs.getLong("epoch"),
                        rs.getString("reason")))
                .list());
    }

    /**
     * A cheap mark that changes whenever a history line is added: the newest time and how many lines share the last
     * ten minutes before it (both read through the time index, never the whole table).
     */
    public String historyMark() {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT m.t AS t, (SELECT COUNT(*) FROM sched_history WHERE time_ms >= m.t - 600000) AS n
                        FROM (SELECT COALESCE(MAX(time_ms), 0) AS t FROM sched_history) m""")
                .map((rs, ctx) -> rs.getLong("n") + ":" + rs.getLong("t")).one());
    }

    // ---------------------------------------------------------------- stream cursor

    /** The CCN change sequence stored under {@code name}: the last message the watcher applied. */
    public Optional<Long> cursor(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT sequence FROM sched_cursor WHERE name = :n").bind("n", name)
                .mapTo(Long.class).findOne());
    }

    /**
     * Sets the cursor {@code name} to {@code sequence}. The watcher saves in the order the CCN numbered its
     * messages, so the last save is the newest; it may go back only when the CCN's log was replaced and replayed
     * from the start, and a cursor too low merely replays messages, while one too high would skip them.
     */
    public void saveCursor(String name, long sequence) {
        write(h -> {
            int n = h.createUpdate("UPDATE sched_cursor SET sequence = :v WHERE name = :n")
                    .bind("n", name).bind("v", sequence).execute();
            if (n == 0) {
                h.createUpdate("INSERT INTO sched_cursor (name, sequence) VALUES (:n, :v)").bind("n", name).bind("v", sequence)
                        .execute();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- leader

    /** The leader row, on its own connections where the database has them. */
    /** Volumes, their snapshots and restores. */
    public VolumeRows volumeRows() {
        return volumeRows;
    }

    public LeaderRows leaderRows() {
        return leaderRows;
    }

    @Override
    public void close() {
        if (leaderDataSource != null) leaderDataSource.close();
        dataSource.close();
    }
}

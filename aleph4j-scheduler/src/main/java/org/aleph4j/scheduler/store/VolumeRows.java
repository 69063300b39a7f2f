package org.aleph4j.scheduler.store;

import org.aleph4j.scheduler.store.Records.RestoreRow;
import org.aleph4j.scheduler.store.Records.SnapshotRow;
import org.aleph4j.scheduler.store.Records.VolumeRow;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Persistent volumes in the scheduler database: their keys, their linear snapshot history, and the
 * restores given. A snapshot is accepted in one transaction that first locks the program's row
 * ({@code FOR UPDATE} on PostgreSQL; SQLite has one writer), the row a placement bumps the epoch on:
 * so a snapshot is either committed before the next placement of its program (and the new holder's
 * restore plan, read after that placement, includes it) or sees the new epoch and is refused. The
 * history never forks: a snapshot must extend the head.
 */
public final class VolumeRows {
    /** How a snapshot report ended. */
    public enum Acceptance { ACCEPTED, FENCED, NOT_HEAD }

    private static final RowMapper<VolumeRow> VOLUME = (rs, ctx) -> new VolumeRow(rs.getString("volume_id"),
            rs.getString("owner"), rs.getString("volume_key"), rs.getLong("head_seq"), rs.getLong("created_ms"));
    private static final RowMapper<SnapshotRow> SNAPSHOT = (rs, ctx) -> new SnapshotRow(rs.getString("volume_id"),
            rs.getLong("seq"), nullableLong(rs, "parent_seq"), rs.getLong("epoch"), rs.getString("item_hash"),
            rs.getString("node_address"), rs.getInt("full_snapshot") == 1, rs.getLong("bytes"), rs.getString("parts"),
            rs.getLong("time_ms"));
    private static final RowMapper<RestoreRow> RESTORE = (rs, ctx) -> new RestoreRow(rs.getString("volume_id"),
            rs.getString("item_hash"), rs.getString("node_address"), rs.getLong("epoch"),
            nullableLong(rs, "seq"), rs.getLong("time_ms"));

    /** A BIGINT that may be NULL (SQLite's driver maps no boxed types). */
    private static Long nullableLong(java.sql.ResultSet rs, String column) throws java.sql.SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private final Jdbi jdbi;
    private final boolean postgres;
    private final Writer writer;

    /** The store's writing transaction (one writer at a time on SQLite). */
    interface Writer {
        <T> T write(Function<Handle, T> work);
    }

    VolumeRows(Jdbi jdbi, boolean postgres, Writer writer) {
        this.jdbi = jdbi;
        this.postgres = postgres;
        this.writer = writer;
    }

    public Optional<VolumeRow> volume(String volumeId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_volumes WHERE volume_id = :v")
                .bind("v", volumeId).map(VOLUME).findOne());
    }

    /** The volume's row, created with a new key from {@code newKey} when it does not exist yet. */
    private static VolumeRow ensure(Handle h, String volumeId, String owner, long nowMs, Supplier<String> newKey) {
        Optional<VolumeRow> v = h.createQuery("SELECT * FROM sched_volumes WHERE volume_id = :v")
                .bind("v", volumeId).map(VOLUME).findOne();
        if (v.isPresent()) return v.get();
        VolumeRow row = new VolumeRow(volumeId, owner.toLowerCase(), newKey.get(), 0, nowMs);
        h.createUpdate("INSERT INTO sched_volumes (volume_id, owner, volume_key, head_seq, created_ms) "
                + "VALUES (:volumeId, :owner, :volumeKey, :headSeq, :createdMs)").bindMethods(row).execute();
        return row;
    }

    /**
     * A restore plan's volume, in one transaction that locks the volume's row (so a snapshot report is
     * decided either before it, and is in the chain, or after it, and is judged against this restore):
     * the volume (created with a new key from {@code newKey} when new), the chain a restore applies, and
     * the restore recorded as the volume's newest.
     */
    public Planned plan(String volumeId, String owner, String itemHash, String nodeAddress, long epoch, long nowMs,
                        Supplier<String> newKey) {
        return writer.write(h -> {
            VolumeRow row = ensure(h, volumeId, owner, nowMs, newKey);
            h.createQuery("SELECT head_seq FROM sched_volumes WHERE volume_id = :v" + (postgres ? " FOR UPDATE" : ""))
                    .bind("v", volumeId).mapTo(Long.class).one();
            List<SnapshotRow> chain = chain(h, volumeId);
            Long head = chain.isEmpty() ? null : chain.getLast().seq();
            h.createUpdate("INSERT INTO sched_restores (volume_id, item_hash, node_address, epoch, seq, time_ms) "
                            + "VALUES (:volumeId, :itemHash, :nodeAddress, :epoch, :seq, :timeMs)")
                    .bindMethods(new RestoreRow(volumeId, itemHash, nodeAddress.toLowerCase(), epoch, head, nowMs)).execute();
            return new Planned(row, chain);
        });
    }

    /** A volume and the chain to restore it from. */
    public record Planned(VolumeRow volume, List<SnapshotRow> chain) {}

    /** The snapshots a restore applies: the newest full one up to the head, then its deltas, in order. */
    public List<SnapshotRow> chain(String volumeId) {
        return jdbi.withHandle(h -> chain(h, volumeId));
    }

    private static List<SnapshotRow> chain(Handle h, String volumeId) {
        {
            Optional<Long> base = h.createQuery("SELECT MAX(seq) FROM sched_snapshots WHERE volume_id = :v AND full_snapshot = 1")
                    .bind("v", volumeId).mapTo(Long.class).findOne();
            if (base.isEmpty() || base.get() == null) return List.of();
            return h.createQuery("SELECT * FROM sched_snapshots WHERE volume_id = :v AND seq >= :b ORDER BY seq")
                    .bind("v", volumeId).bind("b", base.get()).map(SNAPSHOT).list();
        }
    }

    public Optional<SnapshotRow> head(String volumeId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT s.* FROM sched_snapshots s JOIN sched_volumes v "
                        + "ON s.volume_id = v.volume_id AND s.seq = v.head_seq WHERE v.volume_id = :v")
                .bind("v", volumeId).map(SNAPSHOT).findOne());
    }

    /** The newest {@code limit} restores of a volume, oldest first. */
    public List<RestoreRow> restores(String volumeId, int limit) {
        List<RestoreRow> newest = jdbi.withHandle(h -> h.createQuery("SELECT * FROM sched_restores WHERE volume_id = :v "
                + "ORDER BY time_ms DESC LIMIT :l").bind("v", volumeId).bind("l", limit).map(RESTORE).list());
        return newest.reversed();
    }

    /**
     * Accepts {@code s} if it comes from the volume's current user and extends the head; nothing is
     * written otherwise. The current user: the node of the volume's newest restore, for that program
     * and epoch, and that epoch is still the program's (no placement since); and the program is either
     * allocated to that node under that epoch, or removed (unpersisted, forgotten: the last holder's
     * final snapshot after it stopped; no other program has restored the volume since, or it would be
     * the newest restore). Else {@link Acceptance#FENCED}. Extending the head: {@code s.seq()} is the
     * head's successor, a delta against the head or full (else {@link Acceptance#NOT_HEAD}).
     */
    public Acceptance accept(SnapshotRow s) {
        return writer.write(h -> {
            record Program(String status, long epoch) {}
            Optional<Program> program = h.createQuery("SELECT status, epoch FROM sched_programs WHERE item_hash = :i"
                            + (postgres ? " FOR UPDATE" : "")).bind("i", s.itemHash())
                    .map((rs, ctx) -> new Program(rs.getString("status"), rs.getLong("epoch"))).findOne();
            if (program.isEmpty() || program.get().epoch() != s.epoch()) return Acceptance.FENCED;
            if ("active".equals(program.get().status())) {
                int allocated = h.createQuery("SELECT COUNT(*) FROM sched_allocations WHERE item_hash = :i AND node_address = :n "
                        + "AND epoch = :e").bind("i", s.itemHash()).bind("n", s.nodeAddress().toLowerCase()).bind("e", s.epoch())
                        .mapTo(Integer.class).one();
                if (allocated == 0) return Acceptance.FENCED;
            }
            Optional<Long> head = h.createQuery("SELECT head_seq FROM sched_volumes WHERE volume_id = :v"
                    + (postgres ? " FOR UPDATE" : "")).bind("v", s.volumeId()).mapTo(Long.class).findOne();
            Optional<RestoreRow> user = h.createQuery("SELECT * FROM sched_restores WHERE volume_id = :v "
                    + "ORDER BY time_ms DESC, epoch DESC LIMIT 1").bind("v", s.volumeId()).map(RESTORE).findOne();
            if (user.isEmpty() || !user.get().itemHash().equals(s.itemHash()) || user.get().epoch() != s.epoch()
                    || !user.get().nodeAddress().equalsIgnoreCase(s.nodeAddress())) {
                return Acceptance.FENCED;
            }
            if (head.isEmpty()) return Acceptance.NOT_HEAD;
            if (s.seq() == head.get()) {
                // the same report again (its answer was lost): answered the same way
                Optional<SnapshotRow> same = h.createQuery("SELECT * FROM sched_snapshots WHERE volume_id = :v AND seq = :s")
                        .bind("v", s.volumeId()).bind("s", s.seq()).map(SNAPSHOT).findOne();
                boolean repeated = same.isPresent() && same.get().epoch() == s.epoch() && same.get().parts().equals(s.parts())
                        && same.get().nodeAddress().equalsIgnoreCase(s.nodeAddress());
                return repeated ? Acceptance.ACCEPTED : Acceptance.NOT_HEAD;
            }
            if (s.seq() != head.get() + 1) return Acceptance.NOT_HEAD;
            if (s.full() ? s.parentSeq() != null : s.parentSeq() == null || s.parentSeq() != (long) head.get()) {
                return Acceptance.NOT_HEAD;
            }
            h.createUpdate("INSERT INTO sched_snapshots (volume_id, seq, parent_seq, epoch, item_hash, node_address, "
                            + "full_snapshot, bytes, parts, time_ms) VALUES (:volumeId, :seq, :parentSeq, :epoch, :itemHash, "
                            + ":nodeAddress, :fullFlag, :bytes, :parts, :timeMs)")
                    .bindMethods(s).bind("fullFlag", s.full() ? 1 : 0).bind("nodeAddress", s.nodeAddress().toLowerCase())
                    .execute();
            h.createUpdate("UPDATE sched_volumes SET head_seq = :s WHERE volume_id = :v").bind("s", s.seq())
                    .bind("v", s.volumeId()).execute();
            return Acceptance.ACCEPTED;
        });
    }
}

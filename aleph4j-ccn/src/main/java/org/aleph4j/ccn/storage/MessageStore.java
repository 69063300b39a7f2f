package org.aleph4j.ccn.storage;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * SQL access to messages, balances, files and file tags. Every method runs on the caller's handle (transaction).
 *
 * <p>Every status change ({@link #markProcessed}, {@link #markRejected}, {@link #setStatus}, {@link #markForgotten})
 * gives the message the next number of the change sequence in the same statement's transaction. The counter is one
 * row that the change updates, so its lock is held until commit: transactions that number changes commit in the
 * order of their numbers, and a reader that sees sequence N also sees every change numbered below N (with the
 * message's latest state: a message changed again carries its newer number). Numbers are never reused; gaps come
 * from deleted messages.
 */
public final class MessageStore {
    private static final String COLS = "seq, item_hash, status, type, chain, sender, owner, channel, item_type, envelope, "
            + "content, content_type, content_key, content_ref, content_item_hash, payment_type, size, time, reception_time, "
            + "processed_at, error_code, details, retries, next_attempt, waiting_for, forgotten_by, cost_hold, reason, sequence";

    private static final RowMapper<MessageRow> ROW = MessageStore::map;

    /** A message to enter the log as pending. */
    public record NewMessage(String itemHash, String type, String chain, String sender, String channel, String itemType,
                             String envelope, double time, double receptionTime) {}

    /** A page of query results and the total count. */
    public record Page(List<MessageRow> rows, long total) {}

    /** Derived content fields set when a message is processed. */
    public record ContentFields(String owner, String content, String contentType, String contentKey, String contentRef,
                                String contentItemHash, String paymentType, Long size, String costHold, List<String> tags) {
        public ContentFields {
            tags = tags == null ? List.of() : List.copyOf(tags);
        }
    }

    public record FileTag(String tag, String owner, String fileHash, String storeHash, double time) {}

    private static MessageRow map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new MessageRow(rs.getLong("seq"), rs.getString("item_hash"), rs.getString("status"), rs.getString("type"),
                rs.getString("chain"), rs.getString("sender"), rs.getString("owner"), rs.getString("channel"),
                rs.getString("item_type"), rs.getString("envelope"), rs.getString("content"), rs.getString("content_type"),
                rs.getString("content_key"), rs.getString("content_ref"), rs.getString("content_item_hash"),
                rs.getString("payment_type"), (Long) nullable(rs, rs.getLong("size")), rs.getDouble("time"),
                rs.getDouble("reception_time"), (Double) nullable(rs, rs.getDouble("processed_at")),
                (Integer) nullable(rs, rs.getInt("error_code")), rs.getString("details"), rs.getInt("retries"),
                rs.getDouble("next_attempt"), rs.getString("waiting_for"), rs.getString("forgotten_by"),
                rs.getString("cost_hold"), rs.getString("reason"), (Long) nullable(rs, rs.getLong("sequence")));
    }

    private static Object nullable(ResultSet rs, Object v) throws SQLException {
        return rs.wasNull() ? null : v;
    }

    private static String lc(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    /** Inserts a pending message; false when a message with this hash is already known. */
    public boolean insertPending(Handle h, NewMessage m) {
        return h.createUpdate("INSERT INTO messages (item_hash, status, type, chain, sender, sender_lc, channel, item_type, "
                        + "envelope, time, reception_time, retries, next_attempt) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0) "
                        + "ON CONFLICT (item_hash) DO NOTHING")
                .bind(0, m.itemHash()).bind(1, m.type()).bind(2, m.chain()).bind(3, m.sender()).bind(4, lc(m.sender()))
                .bind(5, m.channel()).bind(6, m.itemType()).bind(7, m.envelope()).bind(8, m.time())
                .bind(9, m.receptionTime()).execute() == 1;
    }

    public Optional<MessageRow> find(Handle h, String hash) {
        return h.createQuery("SELECT " + COLS + " FROM messages WHERE item_hash = ?").bind(0, hash).map(ROW).findOne();
    }

    public List<MessageRow> duePending(Handle h, double now, int limit) {
        return h.createQuery("SELECT " + COLS + " FROM messages WHERE status = 'pending' AND next_attempt <= ? ORDER BY next_attempt, seq LIMIT ?")
                .bind(0, now).bind(1, limit).map(ROW).list();
    }

    /**
     * Refreshes PostgreSQL's planner statistics of the messages table. A table that grew from empty (or whose
     * last ANALYZE saw almost no pending rows) has statistics saying {@code status = 'pending'} is rare, so the
     * planner answers the per-message {@link #wake} by walking every pending entry of the status index instead of
     * the {@code waiting_for} index: the cost of processing one message grows with the backlog. Autovacuum
     * catches up only after its next nap (a minute or more), long after a burst arrived.
     */
    public void refreshStatistics(Handle h) {
        h.execute("ANALYZE messages");
    }

    public Optional<Double> nextPendingAttempt(Handle h) {
        return h.createQuery("SELECT MIN(next_attempt) FROM messages WHERE status = 'pending'").mapTo(Double.class).findOne();
    }

    /**
     * Takes the next number of the change sequence. Updating the counter row locks it until this transaction
     * ends, which is what orders the commits of numbering transactions (see the class comment).
     */
    private long nextSequence(Handle h) {
        return h.createQuery("UPDATE sequence_counter SET value = value + 1 WHERE id = 1 RETURNING value")
                .mapTo(Long.class).one();
    }

    /** The last number the change sequence gave out (0 when none). */
    public long sequenceHead(Handle h) {
        return h.createQuery("SELECT value FROM sequence_counter WHERE id = 1").mapTo(Long.class).one();
    }

    public void markProcessed(Handle h, String hash, ContentFields f, double now) {
        h.createUpdate("UPDATE messages SET status = 'processed', owner = ?, owner_lc = ?, content = ?, content_type = ?, "
                        + "content_key = ?, content_ref = ?, content_item_hash = ?, payment_type = ?, size = ?, cost_hold = ?, "
                        + "processed_at = ?, error_code = NULL, details = NULL, waiting_for = NULL, sequence = ? WHERE item_hash = ?")
                .bind(0, f.owner()).bind(1, lc(f.owner())).bind(2, f.content()).bind(3, f.contentType())
                .bind(4, f.contentKey()).bind(5, f.contentRef()).bind(6, f.contentItemHash()).bind(7, f.paymentType())
                .bind(8, f.size()).bind(9, f.costHold()).bind(10, now).bind(11, nextSequence(h)).bind(12, hash).execute();
        h.createUpdate("DELETE FROM message_tags WHERE item_hash = ?").bind(0, hash).execute();
        for (String tag : f.tags()) {
            h.createUpdate("INSERT INTO message_tags (item_hash, tag) VALUES (?, ?)").bind(0, hash).bind(1, tag).execute();
        }
    }

    public void markRejected(Handle h, String hash, int code, String details, String owner, double now) {
        h.createUpdate("UPDATE messages SET status = 'rejected', error_code = ?, details = ?, owner = ?, owner_lc = ?, "
                        + "processed_at = ?, waiting_for = NULL, sequence = ? WHERE item_hash = ?")
                .bind(0, code).bind(1, details).bind(2, owner).bind(3, lc(owner)).bind(4, now).bind(5, nextSequence(h))
                .bind(6, hash).execute();
    }

    public void markRetry(Handle h, String hash, int retries, double nextAttempt, String waitingFor, int code, String details) {
        h.createUpdate("UPDATE messages SET retries = ?, next_attempt = ?, waiting_for = ?, error_code = ?, details = ? "
                        + "WHERE item_hash = ? AND status = 'pending'")
                .bind(0, retries).bind(1, nextAttempt).bind(2, waitingFor).bind(3, code).bind(4, details).bind(5, hash).execute();
    }

    /** Makes pending messages waiting for any of {@code keys} due now; returns how many. */
    public int wake(Handle h, Collection<String> keys) {
        List<String> ks = keys.stream().filter(k -> k != null).distinct().toList();
        if (ks.isEmpty()) return 0;
        StringBuilder sb = new StringBuilder("UPDATE messages SET next_attempt = 0 WHERE status = 'pending'");
        List<Object> args = new ArrayList<>();
        in(sb, args, "waiting_for", ks);
        var u = h.createUpdate(sb.toString());
        for (int i = 0; i < args.size(); i++) u.bind(i, args.get(i));
        return u.execute();
    }

    public void setStatus(Handle h, String hash, String status, String reason) {
        h.createUpdate("UPDATE messages SET status = ?, reason = ?, sequence = ? WHERE item_hash = ?")
                .bind(0, status).bind(1, reason).bind(2, nextSequence(h)).bind(3, hash).execute();
    }

    public void markForgotten(Handle h, String hash, String forgottenByJson) {
        h.createUpdate("UPDATE messages SET status = 'forgotten', forgotten_by = ?, reason = NULL, sequence = ? WHERE item_hash = ?")
                .bind(0, forgottenByJson).bind(1, nextSequence(h)).bind(2, hash).execute();
    }

    /** Deletes a message that never became visible (a rejected upload's STORE, for instance). */
    public void delete(Handle h, String hash) {
        h.createUpdate("DELETE FROM message_tags WHERE item_hash = ?").bind(0, hash).execute();
        h.createUpdate("DELETE FROM messages WHERE item_hash = ?").bind(0, hash).execute();
    }

    // ---- queries

    private record Where(String sql, List<Object> args) {}

    private static Where where(MessageFilter f, boolean dates) {
        StringBuilder sb = new StringBuilder(" WHERE 1=1");
        List<Object> args = new ArrayList<>();
        in(sb, args, "status", f.statuses());
        in(sb, args, "type", f.types());
        in(sb, args, "sender_lc", f.senders());
        in(sb, args, "owner_lc", f.owners());
        in(sb, args, "content_ref", f.refs());
        in(sb, args, "item_hash", f.hashes());
        in(sb, args, "channel", f.channels());
        in(sb, args, "content_type", f.contentTypes());
        in(sb, args, "content_key", f.contentKeys());
        in(sb, args, "content_item_hash", f.contentHashes());
        in(sb, args, "chain", f.chains());
        if (!f.tags().isEmpty()) {
            sb.append(" AND item_hash IN (SELECT t.item_hash FROM message_tags t WHERE 1=1");
            in(sb, args, "t.tag", f.tags());
            sb.append(')');
        }
        if (dates && f.startDate() != null) {
            sb.append(" AND time >= ?");
            args.add(f.startDate());
        }
        if (dates && f.endDate() != null) {
            sb.append(" AND time < ?");
            args.add(f.endDate());
        }
        return new Where(sb.toString(), args);
    }

    private static void in(StringBuilder sb, List<Object> args, String col, List<String> values) {
        if (values.isEmpty()) return;
        sb.append(" AND ").append(col).append(" IN (");
        for (int i = 0; i < values.size(); i++) {
            sb.append(i == 0 ? "?" : ", ?");
            args.add(values.get(i));
        }
        sb.append(')');
    }

    private static Query bindAll(Query q, List<Object> args) {
        for (int i = 0; i < args.size(); i++) q.bind(i, args.get(i));
        return q;
    }

    /**
     * A page of matching messages; {@code perPage} must be positive (the API caps it). With {@code sinceSequence},
     * only messages whose latest change is numbered above it, in sequence order ({@code sortOrder} 1 ascending,
     * -1 descending); otherwise in message time order.
     */
    public Page query(Handle h, MessageFilter f, int perPage, int page, int sortOrder, Long sinceSequence) {
        if (perPage <= 0) throw new IllegalArgumentException("perPage must be positive");
        Where w = where(f, true);
        if (sinceSequence != null) {
            List<Object> args = new ArrayList<>(w.args());
            args.add(sinceSequence);
            w = new Where(w.sql() + " AND sequence > ?", args);
        }
        long total = bindAll(h.createQuery("SELECT COUNT(*) FROM messages" + w.sql()), w.args()).mapTo(Long.class).one();
        String order = sinceSequence != null ? (sortOrder >= 0 ? " ORDER BY sequence ASC" : " ORDER BY sequence DESC")
                : sortOrder >= 0 ? " ORDER BY time ASC, seq ASC" : " ORDER BY time DESC, seq DESC";
        String limit = " LIMIT " + perPage + " OFFSET " + (long) perPage * (page - 1);
        List<MessageRow> rows = bindAll(h.createQuery("SELECT " + COLS + " FROM messages" + w.sql() + order + limit), w.args())
                .map(ROW).list();
        return new Page(rows, total);
    }

    /**
     * Matching messages whose latest change is numbered above {@code after}, in sequence order, at most
     * {@code limit}: a page of a stream subscriber's catch-up (the filter's statuses apply, its dates do not).
     */
    public List<MessageRow> changesAfter(Handle h, MessageFilter f, long after, int limit) {
        if (limit <= 0) return List.of();
        Where w = where(f, false);
        List<Object> args = new ArrayList<>(w.args());
        args.add(after);
        return bindAll(h.createQuery("SELECT " + COLS + " FROM messages" + w.sql() + " AND sequence > ? ORDER BY sequence ASC LIMIT "
                + limit), args).map(ROW).list();
    }

    /** Every message whose latest change is numbered above {@code after}, whatever its status, in sequence order. */
    public List<MessageRow> changesAfter(Handle h, long after, int limit) {
        return h.createQuery("SELECT " + COLS + " FROM messages WHERE sequence > ? ORDER BY sequence ASC LIMIT " + limit)
                .bind(0, after).map(ROW).list();
    }

    /**
     * Where a catch-up "since {@code since}" starts: just below the first change of a matching message received or
     * processed at or after {@code since} (CCN clock, never the sender's), or at the head when there is none. Later
     * changes of older messages (a FORGET of one, say) are numbered above it too, so the catch-up includes them.
     */
    public long sequenceBefore(Handle h, MessageFilter f, double since) {
        Where w = where(f, false);
        Long first = null;
        for (String col : List.of("processed_at", "reception_time")) {
            List<Object> args = new ArrayList<>(w.args());
            args.add(since);
            Optional<Long> min = bindAll(h.createQuery("SELECT MIN(sequence) FROM messages" + w.sql() + " AND " + col + " >= ?"),
                    args).mapTo(Long.class).findOne();
            if (min.isPresent() && (first == null || min.get() < first)) first = min.get();
        }
        return first == null ? sequenceHead(h) : first - 1;
    }

    /** Where a catch-up of the newest {@code count} matching messages starts: just below the count-th newest change. */
    public long sequenceBeforeLatest(Handle h, MessageFilter f, int count) {
        if (count <= 0) return sequenceHead(h);
        Where w = where(f, false);
        Optional<Long> nth = bindAll(h.createQuery("SELECT sequence FROM messages" + w.sql()
                + " AND sequence IS NOT NULL ORDER BY sequence DESC LIMIT 1 OFFSET " + (count - 1)), w.args())
                .mapTo(Long.class).findOne();
        return nth.map(n -> n - 1).orElse(0L);
    }

    /** Processed AGGREGATE messages of an owner (and keys), in content time order. */
    public List<MessageRow> aggregateMessages(Handle h, String owner, List<String> keys) {
        StringBuilder sb = new StringBuilder("SELECT " + COLS + " FROM messages WHERE type = 'AGGREGATE' AND status = 'processed' AND owner_lc = ?");
        List<Object> args = new ArrayList<>(List.of(lc(owner)));
        in(sb, args, "content_key", keys);
        sb.append(" ORDER BY time ASC, seq ASC");
        return bindAll(h.createQuery(sb.toString()), args).map(ROW).list();
    }

    // ---- posts, aggregates and files as upstream lists them

    /** Filters of {@code posts.json} (reference: pyaleph {@code PostQueryParams}); empty lists mean any. */
    public record PostFilter(List<String> hashes, List<String> owners, List<String> refs, List<String> types,
                             List<String> tags, List<String> channels, Double startDate, Double endDate) {
        public PostFilter {
            hashes = List.copyOf(hashes);
            owners = owners.stream().map(MessageStore::lc).toList();
            refs = List.copyOf(refs);
            types = List.copyOf(types);
            tags = List.copyOf(tags);
            channels = List.copyOf(channels);
        }
    }

    /** An original post and its latest amend (null when never amended). */
    public record MergedPost(MessageRow original, MessageRow amend) {
        public MessageRow latest() {
            return amend != null ? amend : original;
        }
    }

    public record PostPage(List<MergedPost> posts, long total) {}

    /** A file an address pins with a STORE message. */
    public record PinnedFile(String storeHash, String fileHash, long size, double time) {}

    public record FilePage(List<PinnedFile> files, long total, long totalSize) {}

    /** An aggregate key of an owner: when its first and latest processed messages were sent. */
    public record AggregateKey(String owner, String key, double created, double lastUpdated) {}

    public record AggregatePage(List<AggregateKey> keys, long total) {}

    private static String prefixed(String alias) {
        StringBuilder sb = new StringBuilder();
        for (String c : COLS.split(",")) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(alias).append('.').append(c.trim());
        }
        return sb.toString();
    }

    /**
     * Posts as upstream merges them: processed originals (any POST but amends), each with its latest processed
     * amend by the same owner (latest by content time). Hashes, owners, refs, types and channels filter the
     * original; tags and the date range the latest version (its tags, else the original's; its time).
     * {@code byOriginalTime} orders by the original's time (upstream's {@code tx-time} falls back to it when
     * nothing is confirmed on chain, as here), else by the latest version's time; ties by original hash.
     */
    public PostPage posts(Handle h, PostFilter f, int perPage, int page, int sortOrder, boolean byOriginalTime) {
        StringBuilder sb = new StringBuilder(" FROM messages o LEFT JOIN messages a ON a.item_hash = (SELECT x.item_hash FROM messages x"
                + " WHERE x.type = 'POST' AND x.status = 'processed' AND x.content_type = 'amend' AND x.content_ref = o.item_hash"
                + " AND x.owner_lc = o.owner_lc ORDER BY x.time DESC, x.seq DESC LIMIT 1)"
                + " WHERE o.type = 'POST' AND o.status = 'processed' AND COALESCE(o.content_type, '') <> 'amend'");
        List<Object> args = new ArrayList<>();
        in(sb, args, "o.item_hash", f.hashes());
        in(sb, args, "o.owner_lc", f.owners());
        in(sb, args, "o.content_ref", f.refs());
        in(sb, args, "o.content_type", f.types());
        in(sb, args, "o.channel", f.channels());
        if (!f.tags().isEmpty()) {
            sb.append(" AND EXISTS (SELECT 1 FROM message_tags t WHERE t.item_hash = CASE WHEN a.item_hash IS NOT NULL AND EXISTS"
                    + " (SELECT 1 FROM message_tags t2 WHERE t2.item_hash = a.item_hash) THEN a.item_hash ELSE o.item_hash END");
            in(sb, args, "t.tag", f.tags());
            sb.append(')');
        }
        if (f.startDate() != null) {
            sb.append(" AND COALESCE(a.time, o.time) >= ?");
            args.add(f.startDate());
        }
        if (f.endDate() != null) {
            sb.append(" AND COALESCE(a.time, o.time) < ?");
            args.add(f.endDate());
        }
        long total = bindAll(h.createQuery("SELECT COUNT(*)" + sb), args).mapTo(Long.class).one();
        String dir = sortOrder > 0 ? " ASC" : " DESC";
        String order = " ORDER BY " + (byOriginalTime ? "o.time" : "COALESCE(a.time, o.time)") + dir + ", o.item_hash ASC";
        String limit = " LIMIT " + perPage + " OFFSET " + (long) perPage * (page - 1);
        record Hit(MessageRow original, String amendHash) {}
        List<Hit> hits = bindAll(h.createQuery("SELECT " + prefixed("o") + ", a.item_hash AS amend_hash" + sb + order + limit), args)
                .map((rs, ctx) -> new Hit(map(rs, ctx), rs.getString("amend_hash"))).list();
        List<MergedPost> posts = new ArrayList<>();
        for (Hit hit : hits) {
            MessageRow amend = hit.amendHash() == null ? null : find(h, hit.amendHash()).orElse(null);
            posts.add(new MergedPost(hit.original(), amend));
        }
        return new PostPage(posts, total);
    }

    /**
     * Aggregate keys (owner and key with at least one processed AGGREGATE message), filtered by owners and keys,
     * ordered by last update ({@code byCreation}: by first message) then key and owner.
     */
    public AggregatePage aggregateKeys(Handle h, List<String> owners, List<String> keys, boolean byCreation, int sortOrder,
                                       int perPage, int page) {
        StringBuilder sb = new StringBuilder(" FROM messages WHERE type = 'AGGREGATE' AND status = 'processed' AND content_key IS NOT NULL");
        List<Object> args = new ArrayList<>();
        in(sb, args, "owner_lc", owners.stream().map(MessageStore::lc).toList());
        in(sb, args, "content_key", keys);
        sb.append(" GROUP BY owner_lc, content_key");
        long total = bindAll(h.createQuery("SELECT COUNT(*) FROM (SELECT owner_lc" + sb + ") g"), args).mapTo(Long.class).one();
        String dir = sortOrder > 0 ? " ASC" : " DESC";
        String order = " ORDER BY " + (byCreation ? "MIN(time)" : "MAX(time)") + dir + ", content_key ASC, owner_lc ASC";
        List<AggregateKey> rows = bindAll(h.createQuery("SELECT MIN(owner) AS owner, content_key, MIN(time) AS created, "
                        + "MAX(time) AS last_updated" + sb + order + " LIMIT " + perPage + " OFFSET " + (long) perPage * (page - 1)), args)
                .map((rs, ctx) -> new AggregateKey(rs.getString("owner"), rs.getString("content_key"), rs.getDouble("created"),
                        rs.getDouble("last_updated"))).list();
        return new AggregatePage(rows, total);
    }

    /**
     * The files {@code owner} pins with live (processed or removing) STORE messages, newest first unless
     * {@code sortOrder} is 1, optionally only {@code fileHash}; with the count and total size of all its pins.
     */
    public FilePage filesOf(Handle h, String owner, String fileHash, int sortOrder, int perPage, int page) {
        StringBuilder sb = new StringBuilder(" FROM messages m LEFT JOIN files f ON f.hash = m.content_item_hash"
                + " WHERE m.type = 'STORE' AND m.status IN ('processed', 'removing') AND m.content_item_hash IS NOT NULL AND m.owner_lc = ?");
        List<Object> args = new ArrayList<>(List.of(lc(owner)));
        record Stats(long count, long size) {}
        Stats stats = bindAll(h.createQuery("SELECT COUNT(*), COALESCE(SUM(COALESCE(f.size, m.size, 0)), 0)" + sb), args)
                .map((rs, ctx) -> new Stats(rs.getLong(1), rs.getLong(2))).one();
        if (fileHash != null) {
            sb.append(" AND m.content_item_hash = ?");
            args.add(fileHash);
        }
        String dir = sortOrder > 0 ? " ASC" : " DESC";
        List<PinnedFile> files = bindAll(h.createQuery("SELECT m.item_hash, m.content_item_hash, COALESCE(f.size, m.size, 0) AS size, m.time"
                        + sb + " ORDER BY m.time" + dir + ", m.item_hash ASC LIMIT " + perPage + " OFFSET " + (long) perPage * (page - 1)), args)
                .map((rs, ctx) -> new PinnedFile(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getDouble(4))).list();
        return new FilePage(files, stats.count(), stats.size());
    }

    /** Live messages (processed or removing) of an owner that hold tokens, oldest first. */
    public List<MessageRow> liveHolds(Handle h, String owner) {
        return h.createQuery("SELECT " + COLS + " FROM messages WHERE owner_lc = ? AND status IN ('processed', 'removing') "
                        + "AND cost_hold IS NOT NULL ORDER BY time ASC, seq ASC")
                .bind(0, lc(owner)).map(ROW).list();
    }

    /** Processed messages of the given types that refer to {@code ref} in their content (for FORGET checks). */
    public List<MessageRow> liveOfTypes(Handle h, List<String> types) {
        StringBuilder sb = new StringBuilder("SELECT " + COLS + " FROM messages WHERE status IN ('processed', 'removing')");
        List<Object> args = new ArrayList<>();
        in(sb, args, "type", types);
        return bindAll(h.createQuery(sb.toString()), args).map(ROW).list();
    }

    public boolean fileStillPinned(Handle h, String fileHash) {
        return h.createQuery("SELECT COUNT(*) FROM messages WHERE type = 'STORE' AND status IN ('processed', 'removing', 'pending') "
                + "AND content_item_hash = ?").bind(0, fileHash).mapTo(Long.class).one() > 0;
    }

    // ---- balances

    public Optional<BigDecimal> balance(Handle h, String address) {
        return h.createQuery("SELECT balance FROM balances WHERE address_lc = ?").bind(0, lc(address))
                .mapTo(String.class).findOne().map(BigDecimal::new);
    }

    public void setBalance(Handle h, String address, String chain, BigDecimal amount, Long height) {
        int n = h.createUpdate("UPDATE balances SET balance = ?, chain = ?, height = ?, address = ? WHERE address_lc = ?")
                .bind(0, amount.toPlainString()).bind(1, chain).bind(2, height).bind(3, address).bind(4, lc(address)).execute();
        if (n == 0) {
            h.createUpdate("INSERT INTO balances (address_lc, address, chain, balance, height) VALUES (?, ?, ?, ?, ?)")
                    .bind(0, lc(address)).bind(1, address).bind(2, chain).bind(3, amount.toPlainString()).bind(4, height).execute();
        }
    }

    // ---- files and tags

    public void upsertFile(Handle h, String hash, long size, double created, Double graceUntil) {
        int n = h.createUpdate("UPDATE files SET grace_until = CASE WHEN grace_until IS NULL THEN NULL ELSE ? END WHERE hash = ?")
                .bind(0, graceUntil).bind(1, hash).execute();
        if (n == 0) {
            h.createUpdate("INSERT INTO files (hash, size, created, grace_until) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING")
                    .bind(0, hash).bind(1, size).bind(2, created).bind(3, graceUntil).execute();
        }
    }

    /** Total size of the files that no STORE pins yet (anonymous uploads in their grace period). */
    public long unpinnedBytes(Handle h) {
        return h.createQuery("SELECT COALESCE(SUM(size), 0) FROM files WHERE grace_until IS NOT NULL").mapTo(Long.class).one();
    }

    /** When the first grace period of an unpinned file ends, if any. */
    public Optional<Double> firstGraceEnd(Handle h) {
        return h.createQuery("SELECT MIN(grace_until) FROM files WHERE grace_until IS NOT NULL").mapTo(Double.class).findOne();
    }

    public Optional<Long> fileSize(Handle h, String hash) {
        return h.createQuery("SELECT size FROM files WHERE hash = ?").bind(0, hash).mapTo(Long.class).findOne();
    }

    public void pinFile(Handle h, String hash) {
        h.createUpdate("UPDATE files SET grace_until = NULL WHERE hash = ?").bind(0, hash).execute();
    }

    public void deleteFile(Handle h, String hash) {
        h.createUpdate("DELETE FROM files WHERE hash = ?").bind(0, hash).execute();
    }

    /** Files whose grace period ended and that no STORE pins. */
    public List<String> expiredFiles(Handle h, double now) {
        return h.createQuery("SELECT hash FROM files WHERE grace_until IS NOT NULL AND grace_until < ?").bind(0, now)
                .mapTo(String.class).list();
    }

    public Optional<FileTag> tag(Handle h, String tag) {
        return h.createQuery("SELECT tag, owner, file_hash, store_hash, time FROM file_tags WHERE tag = ?").bind(0, tag)
                .map((rs, ctx) -> new FileTag(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getDouble(5)))
                .findOne();
    }

    public void upsertTag(Handle h, FileTag t) {
        int n = h.createUpdate("UPDATE file_tags SET owner = ?, file_hash = ?, store_hash = ?, time = ? WHERE tag = ?")
                .bind(0, t.owner()).bind(1, t.fileHash()).bind(2, t.storeHash()).bind(3, t.time()).bind(4, t.tag()).execute();
        if (n == 0) {
            h.createUpdate("INSERT INTO file_tags (tag, owner, file_hash, store_hash, time) VALUES (?, ?, ?, ?, ?)")
                    .bind(0, t.tag()).bind(1, t.owner()).bind(2, t.fileHash()).bind(3, t.storeHash()).bind(4, t.time()).execute();
        }
    }

    public void deleteTagsOfStore(Handle h, String storeHash) {
        h.createUpdate("DELETE FROM file_tags WHERE store_hash = ?").bind(0, storeHash).execute();
    }
}

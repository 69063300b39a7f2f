-- Volumes (portable between SQLite and PostgreSQL).
-- Whether a node can mount volumes (1) or not (0); nodes registered before count as unable until they heartbeat.
ALTER TABLE sched_nodes ADD COLUMN volumes INTEGER NOT NULL DEFAULT 0;
-- A program's volumes as JSON ({"any": bool, "persistent": [{volume_id, name, mount, size_mib}]}),
-- and a migration its owner asked for: the target ('' for any other node) and the node it leaves.
ALTER TABLE sched_programs ADD COLUMN volumes TEXT;
ALTER TABLE sched_programs ADD COLUMN migrate_target TEXT;
ALTER TABLE sched_programs ADD COLUMN migrate_from TEXT;

-- One row per persistent volume: its owner, its encryption key (hex; never stored where snapshots are),
-- and the seq of its newest accepted snapshot (0: none).
CREATE TABLE sched_volumes (
    volume_id  TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    volume_key TEXT NOT NULL,
    head_seq   BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- Accepted snapshots: a linear history per volume (seq = head + 1 at acceptance, never reused).
CREATE TABLE sched_snapshots (
    volume_id     TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    parent_seq    BIGINT,
    epoch         BIGINT NOT NULL,
    item_hash     TEXT NOT NULL,
    node_address  TEXT NOT NULL,
    full_snapshot INTEGER NOT NULL,
    bytes         BIGINT NOT NULL,
    parts         TEXT NOT NULL,
    time_ms       BIGINT NOT NULL,
    PRIMARY KEY (volume_id, seq)
);

-- Every restore plan given: which node, under which epoch, from which snapshot (NULL: empty volume).
CREATE TABLE sched_restores (
    volume_id    TEXT NOT NULL,
    item_hash    TEXT NOT NULL,
    node_address TEXT NOT NULL,
    epoch        BIGINT NOT NULL,
    seq          BIGINT,
    time_ms      BIGINT NOT NULL
);
CREATE INDEX sched_restores_volume ON sched_restores (volume_id, time_ms);

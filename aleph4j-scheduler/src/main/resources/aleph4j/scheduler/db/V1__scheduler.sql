-- Portable between SQLite and PostgreSQL: one migration set serves both.
CREATE TABLE sched_nodes (
    address      TEXT PRIMARY KEY,
    node_hash    TEXT NOT NULL,
    url          TEXT,
    vcpus        INTEGER NOT NULL,
    memory_mib   BIGINT NOT NULL,
    disk_mib     BIGINT NOT NULL,
    runtimes     TEXT NOT NULL,
    version      TEXT,
    executions   TEXT,
    last_seen_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX sched_nodes_hash ON sched_nodes (node_hash);

CREATE TABLE sched_programs (
    item_hash            TEXT PRIMARY KEY,
    owner                TEXT,
    vcpus                INTEGER NOT NULL,
    memory_mib           BIGINT NOT NULL,
    runtime              TEXT,
    requirements         TEXT,
    status               TEXT NOT NULL,
    removed_reason       TEXT,
    unschedulable_reason TEXT,
    avoid                TEXT,
    epoch                BIGINT NOT NULL,
    created_ms           BIGINT NOT NULL
);
CREATE INDEX sched_programs_owner ON sched_programs (owner);

CREATE TABLE sched_allocations (
    item_hash     TEXT PRIMARY KEY,
    node_address  TEXT NOT NULL,
    epoch         BIGINT NOT NULL,
    since_ms      BIGINT NOT NULL,
    last_grant_ms BIGINT NOT NULL
);
CREATE INDEX sched_allocations_node ON sched_allocations (node_address);

CREATE TABLE sched_history (
    item_hash TEXT NOT NULL,
    time_ms   BIGINT NOT NULL,
    from_node TEXT,
    to_node   TEXT,
    epoch     BIGINT,
    reason    TEXT NOT NULL
);
CREATE INDEX sched_history_item ON sched_history (item_hash, time_ms);

CREATE TABLE sched_cursor (
    name  TEXT PRIMARY KEY,
    value DOUBLE PRECISION NOT NULL
);

CREATE TABLE sched_leader (
    id         INTEGER PRIMARY KEY,
    holder     TEXT NOT NULL,
    url        TEXT,
    expires_ms BIGINT NOT NULL
);
INSERT INTO sched_leader (id, holder, url, expires_ms) VALUES (1, '', NULL, 0);

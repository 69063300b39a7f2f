-- Stream cursors are the CCN's change sequence (strictly increasing in the order messages became visible), no
-- longer the largest message time seen: a sender-chosen time in the future pinned that cursor there. A stored time
-- cannot be turned into a sequence, so those cursors go; the watcher catches up once from the start of the log
-- (applying a message twice is harmless).
DROP TABLE sched_cursor;
CREATE TABLE sched_cursor (
    name     TEXT PRIMARY KEY,
    sequence BIGINT NOT NULL
);

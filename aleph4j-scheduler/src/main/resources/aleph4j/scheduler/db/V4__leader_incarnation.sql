-- Incremented in the same statement that makes a scheduler leader: every leadership gets a new number,
-- which CRNs check so that a heartbeat or an answer of an earlier leadership cannot be replayed.
-- expires_ms is from now on the database's own clock (never a scheduler's), in epoch milliseconds.
ALTER TABLE sched_leader ADD COLUMN incarnation BIGINT NOT NULL DEFAULT 0;

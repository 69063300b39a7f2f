-- The executor each CRN reports in its heartbeats, and whether it isolates programs (1) or not (0).
-- Nodes registered before this column existed count as not isolating until their next heartbeat.
ALTER TABLE sched_nodes ADD COLUMN executor TEXT;
ALTER TABLE sched_nodes ADD COLUMN executor_isolated INTEGER NOT NULL DEFAULT 0;

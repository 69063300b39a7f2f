-- The console reads the newest history lines (node states, its change mark) about once a second: by time, not
-- by program.
CREATE INDEX sched_history_time ON sched_history (time_ms);

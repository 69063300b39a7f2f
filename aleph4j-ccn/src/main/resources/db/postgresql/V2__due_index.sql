-- The worker takes due pending messages in (next_attempt, seq) order straight from this index, without sorting the backlog.
CREATE INDEX messages_due ON messages (status, next_attempt, seq);

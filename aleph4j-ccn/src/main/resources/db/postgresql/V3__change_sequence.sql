-- The CCN's own, strictly increasing change sequence (aleph4j extension, the "sequence" of API items):
-- every change of a message's status (pending -> processed or rejected, processed -> forgotten, removing...)
-- takes the next value of sequence_counter in the transaction that makes the change, and the counter's row
-- lock orders those transactions, so they commit in sequence order: a reader that has seen sequence N has
-- seen every change numbered below N. Pending messages have none yet.
ALTER TABLE messages ADD COLUMN sequence BIGINT;
-- Existing messages keep their reception order: seq is the insertion number.
UPDATE messages SET sequence = seq WHERE status <> 'pending';
CREATE UNIQUE INDEX messages_sequence ON messages (sequence);

CREATE TABLE sequence_counter (
  id INTEGER PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO sequence_counter (id, value) SELECT 1, COALESCE(MAX(sequence), 0) FROM messages;

CREATE TABLE messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  item_hash TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  type TEXT NOT NULL,
  chain TEXT NOT NULL,
  sender TEXT NOT NULL,
  sender_lc TEXT NOT NULL,
  owner TEXT,
  owner_lc TEXT,
  channel TEXT,
  item_type TEXT NOT NULL,
  envelope TEXT NOT NULL,
  content TEXT,
  content_type TEXT,
  content_key TEXT,
  content_ref TEXT,
  content_item_hash TEXT,
  payment_type TEXT,
  size BIGINT,
  time DOUBLE PRECISION NOT NULL,
  reception_time DOUBLE PRECISION NOT NULL,
  processed_at DOUBLE PRECISION,
  error_code INTEGER,
  details TEXT,
  retries INTEGER NOT NULL DEFAULT 0,
  next_attempt DOUBLE PRECISION NOT NULL DEFAULT 0,
  waiting_for TEXT,
  forgotten_by TEXT,
  cost_hold TEXT,
  reason TEXT
);
CREATE INDEX messages_status_next ON messages (status, next_attempt);
CREATE INDEX messages_owner ON messages (owner_lc);
CREATE INDEX messages_sender ON messages (sender_lc);
CREATE INDEX messages_type_time ON messages (type, time);
CREATE INDEX messages_time ON messages (time);
CREATE INDEX messages_ref ON messages (content_ref);
CREATE INDEX messages_waiting ON messages (waiting_for);
CREATE INDEX messages_file ON messages (content_item_hash);
CREATE INDEX messages_reception ON messages (reception_time);
CREATE INDEX messages_processed_at ON messages (processed_at);

CREATE TABLE balances (
  address_lc TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  chain TEXT,
  balance TEXT NOT NULL,
  height BIGINT
);

CREATE TABLE files (
  hash TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  created DOUBLE PRECISION NOT NULL,
  grace_until DOUBLE PRECISION
);

CREATE TABLE file_tags (
  tag TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  store_hash TEXT NOT NULL,
  time DOUBLE PRECISION NOT NULL
);

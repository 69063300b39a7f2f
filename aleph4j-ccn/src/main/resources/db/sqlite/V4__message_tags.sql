-- Tags of processed messages, as upstream extracts them (POST and AGGREGATE: content.content.tags; STORE:
-- content.tags; PROGRAM and INSTANCE: content.metadata.tags; string entries only), for the `tags` filter of
-- messages.json and posts.json. One row per (message, tag) so that "any of these tags" is an indexed IN.
CREATE TABLE message_tags (
  item_hash TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (item_hash, tag)
);
CREATE INDEX message_tags_tag ON message_tags (tag);
INSERT OR IGNORE INTO message_tags (item_hash, tag)
SELECT m.item_hash, j.value
FROM messages m, json_each(m.content, CASE WHEN m.type IN ('POST', 'AGGREGATE') THEN '$.content.tags'
                                           WHEN m.type = 'STORE' THEN '$.tags' ELSE '$.metadata.tags' END) j
WHERE m.status <> 'pending' AND m.content IS NOT NULL AND json_valid(m.content)
  AND m.type IN ('POST', 'AGGREGATE', 'STORE', 'PROGRAM', 'INSTANCE')
  AND json_type(m.content, CASE WHEN m.type IN ('POST', 'AGGREGATE') THEN '$.content.tags'
                                WHEN m.type = 'STORE' THEN '$.tags' ELSE '$.metadata.tags' END) = 'array'
  AND j.type = 'text';

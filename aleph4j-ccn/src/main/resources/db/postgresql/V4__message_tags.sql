-- Tags of processed messages, as upstream extracts them (POST and AGGREGATE: content.content.tags; STORE:
-- content.tags; PROGRAM and INSTANCE: content.metadata.tags; string entries only), for the `tags` filter of
-- messages.json and posts.json. One row per (message, tag) so that "any of these tags" is an indexed IN.
CREATE TABLE message_tags (
  item_hash TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (item_hash, tag)
);
CREATE INDEX message_tags_tag ON message_tags (tag);
INSERT INTO message_tags (item_hash, tag)
SELECT DISTINCT m.item_hash, e #>> '{}'
FROM messages m
CROSS JOIN LATERAL (SELECT CASE WHEN m.type IN ('POST', 'AGGREGATE') THEN m.content::jsonb #> '{content,tags}'
                                WHEN m.type = 'STORE' THEN m.content::jsonb -> 'tags'
                                ELSE m.content::jsonb #> '{metadata,tags}' END AS tags) t
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.tags) = 'array' THEN t.tags ELSE '[]'::jsonb END) e
WHERE m.status <> 'pending' AND m.content IS NOT NULL
  AND m.type IN ('POST', 'AGGREGATE', 'STORE', 'PROGRAM', 'INSTANCE')
  AND jsonb_typeof(e) = 'string';

-- trailreplay database, version 9: raw records stored compressed.
--
-- A matching event's raw record (events.raw) is stored as a zstd frame compressed against a
-- dictionary trained on the database's own records (store/record_codec.h): 4-8x smaller than
-- the JSON text on the corpora measured. The records stored before the database had a
-- dictionary (the first 4 MiB of them, and every record of a database written before version
-- 9) stay JSON text. record_json(raw) reads either form: every trailreplay connection has it,
-- and sqlite3 gets it with `.load /usr/local/lib/trailreplay/sqlite/trailreplay`.

-- The dictionaries a database's frames name (merged parts bring their own). Never changed
-- once written: a frame's dictionary_id is zstd's, derived from the dictionary's bytes.
CREATE TABLE record_dictionaries (
  dictionary_id INTEGER PRIMARY KEY,
  dictionary    BLOB NOT NULL,
  created_at    TEXT NOT NULL,     -- ISO-8601 UTC
  samples       INTEGER NOT NULL,  -- records it was trained on
  sample_bytes  INTEGER NOT NULL
);

-- The `matches` view as before, its raw column as JSON text whichever way it is stored.
DROP VIEW matches;
CREATE VIEW matches AS
  SELECT f.name AS filter_name,
         e.event_id AS event_id,
         strftime('%Y-%m-%dT%H:%M:%SZ', e.event_time, 'unixepoch') AS event_time,
         e.account AS account,
         e.region AS region,
         e.event_source AS event_source,
         e.event_name AS event_name,
         e.error_code AS error_code,
         e.source_ip AS source_ip,
         e.principal_arn AS principal_arn,
         e.user_agent AS user_agent,
         i.path || CASE WHEN i.member = '' THEN '' ELSE '!' || i.member END AS source_file,
         e.record_index AS record_index,
         m.value AS value,
         strftime('%Y-%m-%dT%H:%M:%SZ', e.stamp - e.stamp % 300, 'unixepoch') AS bucket_start,
         record_json(e.raw) AS raw
  FROM event_matches AS m
  JOIN filters AS f USING (filter_id)
  JOIN events AS e USING (event_pk)
  JOIN inputs AS i ON i.input_id = e.input_id;

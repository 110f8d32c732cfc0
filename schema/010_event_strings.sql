-- trailreplay database, version 10: the strings events repeat, stored once.
--
-- An event's account, region, event source and name, error code, source IP, principal ARN
-- and user agent take a few hundred distinct values in millions of events (113 principals and
-- 85 user agents in the 727,000 events of the perf corpus): each is stored once, in
-- event_strings, and an event refers to it by number. On the whole CIS pack's database that
-- is 45% of the events table and of the principal, IP and name indexes. `events` becomes a
-- view with the same columns as the table it replaces, so users' SQL reads it as before; the
-- writer, merge and the deferred indexes use event_rows.

CREATE TABLE event_strings (
  string_id INTEGER PRIMARY KEY,
  value     TEXT NOT NULL UNIQUE
);

-- One row per stored event; the *_ref columns are event_strings.string_id (NULL: the record
-- has no such field).
CREATE TABLE event_rows (
  event_pk      INTEGER PRIMARY KEY,
  event_id      TEXT,
  event_time    INTEGER NOT NULL,  -- eventTime, epoch seconds
  stamp         INTEGER NOT NULL,  -- the time counted: eventTime, or delivery minute
  account_ref   INTEGER,
  region_ref    INTEGER,
  source_ref    INTEGER,           -- eventSource
  name_ref      INTEGER,           -- eventName
  error_ref     INTEGER,           -- errorCode
  ip_ref        INTEGER,           -- sourceIPAddress
  principal_ref INTEGER,           -- userIdentity.arn
  agent_ref     INTEGER,           -- userAgent
  input_id      INTEGER NOT NULL REFERENCES inputs (input_id),
  record_index  INTEGER NOT NULL,
  raw           TEXT NOT NULL      -- JSON text, or a zstd frame (schema/009)
);

INSERT INTO event_strings (value)
  SELECT account FROM events WHERE account IS NOT NULL
  UNION SELECT region FROM events WHERE region IS NOT NULL
  UNION SELECT event_source FROM events WHERE event_source IS NOT NULL
  UNION SELECT event_name FROM events WHERE event_name IS NOT NULL
  UNION SELECT error_code FROM events WHERE error_code IS NOT NULL
  UNION SELECT source_ip FROM events WHERE source_ip IS NOT NULL
  UNION SELECT principal_arn FROM events WHERE principal_arn IS NOT NULL
  UNION SELECT user_agent FROM events WHERE user_agent IS NOT NULL;

INSERT INTO event_rows
  SELECT e.event_pk, e.event_id, e.event_time, e.stamp,
         (SELECT string_id FROM event_strings WHERE value = e.account),
         (SELECT string_id FROM event_strings WHERE value = e.region),
         (SELECT string_id FROM event_strings WHERE value = e.event_source),
         (SELECT string_id FROM event_strings WHERE value = e.event_name),
         (SELECT string_id FROM event_strings WHERE value = e.error_code),
         (SELECT string_id FROM event_strings WHERE value = e.source_ip),
         (SELECT string_id FROM event_strings WHERE value = e.principal_arn),
         (SELECT string_id FROM event_strings WHERE value = e.user_agent),
         e.input_id, e.record_index, e.raw
  FROM events AS e ORDER BY e.event_pk;

-- Its indexes go with it; the same ones are made on event_rows. A first scan drops the four
-- whose keys arrive in random order and builds them at its end (store::DeferEventIndexes),
-- from the SQL in store/writer.cc, which a test compares with this.
DROP TABLE events;
CREATE INDEX events_by_time ON event_rows (stamp);
CREATE INDEX events_by_event_id ON event_rows (event_id);
CREATE INDEX events_by_principal ON event_rows (principal_ref, stamp);
CREATE INDEX events_by_source_ip ON event_rows (ip_ref, stamp);
CREATE INDEX events_by_name ON event_rows (name_ref, stamp);
CREATE INDEX events_by_input ON event_rows (input_id);

-- The table it replaces, column for column. The three strings with an index are joined, so
-- that a condition on one (`WHERE principal_arn = ?`) becomes a lookup of its id followed by
-- that index; the others are read by a subquery, which costs nothing in a query that does not
-- read them (SQLite 3.40 does not leave out an unused join in an aggregate query: a
-- `count(*)` over eight joins took 0.7 s on the CIS pack's 727,000 events, over three 0.4 s).
CREATE VIEW events AS
  SELECT r.event_pk AS event_pk,
         r.event_id AS event_id,
         r.event_time AS event_time,
         r.stamp AS stamp,
         (SELECT value FROM event_strings WHERE string_id = r.account_ref) AS account,
         (SELECT value FROM event_strings WHERE string_id = r.region_ref) AS region,
         (SELECT value FROM event_strings WHERE string_id = r.source_ref) AS event_source,
         n.value AS event_name,
         (SELECT value FROM event_strings WHERE string_id = r.error_ref) AS error_code,
         ip.value AS source_ip,
         p.value AS principal_arn,
         (SELECT value FROM event_strings WHERE string_id = r.agent_ref) AS user_agent,
         r.input_id AS input_id,
         r.record_index AS record_index,
         r.raw AS raw
  FROM event_rows AS r
  LEFT JOIN event_strings AS n ON n.string_id = r.name_ref
  LEFT JOIN event_strings AS ip ON ip.string_id = r.ip_ref
  LEFT JOIN event_strings AS p ON p.string_id = r.principal_ref;

-- trailreplay database, version 1: what `trailreplay scan` stores.
--
-- Times are INTEGER seconds since the Unix epoch (UTC) in tables, and ISO-8601 text
-- (`YYYY-MM-DDTHH:MM:SSZ`) in the public views that users' SQL relies on: `buckets`,
-- `matches`, `samples_text`, `bucket_totals`. schema/README.md describes
-- every table and view.

-- Settings fixed by the first scan (time basis, duplicates policy, filter fingerprints):
-- a later scan with different ones would mix incompatible counts, so it is refused.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- The metric filters every count below belongs to.
CREATE TABLE filters (
  filter_id        INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  pattern          TEXT NOT NULL,
  metric_name      TEXT NOT NULL,
  metric_namespace TEXT NOT NULL,
  metric_value     TEXT NOT NULL,
  default_value    REAL,
  dimensions       TEXT NOT NULL,  -- JSON object: dimension name -> reference
  unit             TEXT NOT NULL,
  creation_time    INTEGER,        -- epoch seconds, from describe-metric-filters
  log_group        TEXT NOT NULL,
  origin           TEXT NOT NULL,  -- "built-in" or the rules file
  fingerprint      TEXT NOT NULL
);

-- One row per metric series: namespace, name and dimension values (what CloudWatch keys a
-- metric by).
CREATE TABLE series (
  series_id        INTEGER PRIMARY KEY,
  metric_namespace TEXT NOT NULL,
  metric_name      TEXT NOT NULL,
  dimensions       TEXT NOT NULL,  -- JSON object: dimension name -> value, '{}' for none
  UNIQUE (metric_namespace, metric_name, dimensions)
);

-- Per-minute samples of each series, as CloudWatch keeps them: count, sum, minimum, maximum.
CREATE TABLE samples (
  series_id    INTEGER NOT NULL REFERENCES series (series_id),
  minute       INTEGER NOT NULL,  -- epoch seconds, multiple of 60
  sample_count INTEGER NOT NULL,
  sum          REAL NOT NULL,
  minimum      REAL NOT NULL,
  maximum      REAL NOT NULL,
  PRIMARY KEY (series_id, minute)
) WITHOUT ROWID;

-- Per-300-second buckets of each filter: matching events and the sum of the values they
-- published.
CREATE TABLE filter_buckets (
  filter_id INTEGER NOT NULL REFERENCES filters (filter_id),
  bucket    INTEGER NOT NULL,  -- epoch seconds, multiple of 300
  matches   INTEGER NOT NULL,
  value_sum REAL NOT NULL,
  PRIMARY KEY (filter_id, bucket)
) WITHOUT ROWID;

-- Every event counted (after deduplication and the time/account/region filters), per minute.
CREATE TABLE minute_totals (
  minute INTEGER PRIMARY KEY,
  events INTEGER NOT NULL
);

-- Input files and archive members: the ingest ledger. A row is written in the same
-- transaction as everything its records contributed, so a row means "fully counted".
CREATE TABLE inputs (
  input_id     INTEGER PRIMARY KEY,
  path         TEXT NOT NULL,
  member       TEXT NOT NULL,     -- archive member name, '' for a plain file
  scope        TEXT NOT NULL,     -- the time/account/region filters it was scanned under
  size         INTEGER NOT NULL,  -- bytes as stored (compressed)
  mtime_ns     INTEGER NOT NULL,
  kind         TEXT NOT NULL,     -- records, array, single, lines, export, digest, ...
  status       TEXT NOT NULL,     -- ok, partial (some records not counted), error, skipped
  records      INTEGER NOT NULL,  -- records read (an archive's row: all its members')
  events       INTEGER NOT NULL,  -- records counted
  duplicates   INTEGER NOT NULL,  -- records dropped as duplicate eventIDs
  out_of_scope INTEGER NOT NULL,  -- records outside --from/--to/--account/--region
  bad_records  INTEGER NOT NULL,
  message      TEXT NOT NULL,     -- why skipped / first error, '' when ok
  account      TEXT,              -- from the S3 key, when it follows CloudTrail's layout
  region       TEXT,
  delivery_time INTEGER,
  scan_id      INTEGER NOT NULL REFERENCES scans (scan_id),
  UNIQUE (path, member, scope)
);

-- Events that matched at least one filter, stored once with their raw record.
CREATE TABLE events (
  event_pk      INTEGER PRIMARY KEY,
  event_id      TEXT,
  event_time    INTEGER NOT NULL,  -- eventTime, epoch seconds
  stamp         INTEGER NOT NULL,  -- the time counted: eventTime, or delivery minute
  account       TEXT,
  region        TEXT,
  event_source  TEXT,
  event_name    TEXT,
  error_code    TEXT,
  source_ip     TEXT,
  principal_arn TEXT,
  user_agent    TEXT,
  input_id      INTEGER NOT NULL REFERENCES inputs (input_id),
  record_index  INTEGER NOT NULL,
  raw           TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (stamp);
-- A first scan drops this one and builds it at its end (store::DeferEventIndexes): a later
-- migration must not count on it being there.
CREATE INDEX events_by_event_id ON events (event_id);
CREATE INDEX events_by_principal ON events (principal_arn, stamp);
CREATE INDEX events_by_source_ip ON events (source_ip, stamp);
CREATE INDEX events_by_name ON events (event_name, stamp);

-- Which filters each stored event matched, and the value it published (NULL: none).
CREATE TABLE event_matches (
  filter_id INTEGER NOT NULL REFERENCES filters (filter_id),
  event_pk  INTEGER NOT NULL REFERENCES events (event_pk),
  value     REAL,
  PRIMARY KEY (filter_id, event_pk)
) WITHOUT ROWID;
CREATE INDEX event_matches_by_event ON event_matches (event_pk);

-- Every eventID counted so far (16 bytes for GUIDs, the text otherwise): the duplicate check
-- spans all scans of the database.
CREATE TABLE seen_events (
  key BLOB PRIMARY KEY
) WITHOUT ROWID;

-- One row per run of `scan`.
CREATE TABLE scans (
  scan_id     INTEGER PRIMARY KEY,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  version     TEXT NOT NULL,
  options     TEXT NOT NULL,  -- JSON
  status      TEXT NOT NULL,  -- running, complete, interrupted, failed
  summary     TEXT            -- JSON, the same object `scan --json` prints
);

-- Bad input met by a scan: which file, which member, where, and what.
CREATE TABLE scan_errors (
  error_id     INTEGER PRIMARY KEY,
  scan_id      INTEGER NOT NULL REFERENCES scans (scan_id),
  path         TEXT NOT NULL,
  member       TEXT NOT NULL,
  offset       INTEGER,  -- byte offset in the (decompressed) document, when known
  record_index INTEGER,  -- 0-based record index, when known
  kind         TEXT NOT NULL,
  message      TEXT NOT NULL
);

CREATE VIEW buckets AS
  SELECT f.name AS filter_name,
         strftime('%Y-%m-%dT%H:%M:%SZ', b.bucket, 'unixepoch') AS bucket_start,
         b.matches AS matches,
         b.value_sum AS value_sum,
         b.bucket AS bucket_epoch
  FROM filter_buckets AS b JOIN filters AS f USING (filter_id);

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
         e.raw AS raw
  FROM event_matches AS m
  JOIN filters AS f USING (filter_id)
  JOIN events AS e USING (event_pk)
  JOIN inputs AS i ON i.input_id = e.input_id;

CREATE VIEW samples_text AS
  SELECT s.metric_namespace AS metric_namespace,
         s.metric_name AS metric_name,
         s.dimensions AS dimensions,
         strftime('%Y-%m-%dT%H:%M:%SZ', p.minute, 'unixepoch') AS minute,
         p.sample_count AS sample_count,
         p.sum AS sum,
         p.minimum AS minimum,
         p.maximum AS maximum
  FROM samples AS p JOIN series AS s USING (series_id);

CREATE VIEW bucket_totals AS
  SELECT strftime('%Y-%m-%dT%H:%M:%SZ', minute - minute % 300, 'unixepoch') AS bucket_start,
         SUM(events) AS events
  FROM minute_totals
  GROUP BY minute - minute % 300;

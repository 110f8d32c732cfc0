-- trailreplay database, version 6: samples imported from a query result (`import-samples`).
--
-- A database either holds what `scan` counted or what imports brought, never both: imported
-- results carry per-minute samples, not events, so a scan could not remove their duplicates.

-- One row per imported query result: its provenance.
CREATE TABLE imports (
  import_id    INTEGER PRIMARY KEY,
  imported_at  TEXT NOT NULL,
  version      TEXT NOT NULL,     -- the trailreplay that imported it
  query_id     TEXT NOT NULL,     -- as `compile` printed it
  dialect      TEXT NOT NULL,     -- athena, trino-json, duckdb
  engine       TEXT NOT NULL,     -- trino, duckdb
  compiled     TEXT NOT NULL,     -- JSON: the result's query row (source, range, filters)
  from_time    INTEGER,           -- the query's eventTime range [from, to); NULL: open
  to_time      INTEGER,
  source_file  TEXT NOT NULL,     -- the result file read
  source_bytes INTEGER NOT NULL,
  result_rows  INTEGER NOT NULL,
  query_text   TEXT               -- the SQL, when import-samples was given it (--query)
);

-- Matching events that published to a series, per minute: what replay counts as the events
-- behind an episode when no events are stored.
CREATE TABLE imported_series_events (
  series_id INTEGER NOT NULL REFERENCES series (series_id),
  minute    INTEGER NOT NULL,
  events    INTEGER NOT NULL,
  PRIMARY KEY (series_id, minute)
) WITHOUT ROWID;

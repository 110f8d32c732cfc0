-- trailreplay database, version 8: what `merge` needs to combine scans exactly.
--
-- A sharded run scans parts of the inputs into databases of their own and merges them; the
-- merge must keep, of each event delivered twice, the copy one scan of everything would have
-- kept (the first in input order). So each input records its place in the input order, and
-- the eventID keys of the events it counted.

-- An input's place in the scan's input order: the delivery time of its file's S3 key (NULL:
-- none, ordered first) and the file's ordinal (its place among the scan's files as found, or
-- in the plan for `scan --manifest`). Ties within a file (archive members) go by input_id.
-- NULL for inputs scanned before version 8 (such a database cannot be merged).
ALTER TABLE inputs ADD COLUMN order_time INTEGER;
ALTER TABLE inputs ADD COLUMN order_seq INTEGER;

-- The eventID keys of the events an input counted (those with an eventID), in record order,
-- packed (store/input_keys.h): per event its 16-byte key (seen_ids.h), then zig-zag varints of
-- eventTime minus the previous event's and of the counted minute's offset from eventTime's.
-- About 18 bytes an event. One row per batch of the input's records written (a big file read
-- in windows has one per window), so no row is ever rewritten. Not written with
-- --keep-duplicates.
CREATE TABLE input_keys (
  chunk_id INTEGER PRIMARY KEY,
  input_id INTEGER NOT NULL REFERENCES inputs (input_id),
  keys     BLOB NOT NULL
);
CREATE INDEX input_keys_by_input ON input_keys (input_id, chunk_id);

-- A part's events read input by input (a merge copies them in the global input order). Inputs
-- are written in order, so the index grows at its right edge: little cost to a scan.
CREATE INDEX events_by_input ON events (input_id);

-- The parts a merged database was built from (`trailreplay merge`): one row per part, so that
-- merging a part already merged adds nothing.
CREATE TABLE merged_parts (
  part_id   TEXT PRIMARY KEY,  -- the part's meta 'database_id'
  path      TEXT NOT NULL,     -- as given to merge
  manifest  TEXT,              -- the part's meta 'manifest' (JSON), NULL for a plain scan
  inputs    INTEGER NOT NULL,
  events    INTEGER NOT NULL,  -- events the part counted (before the merge's duplicates)
  merged_at TEXT NOT NULL
);

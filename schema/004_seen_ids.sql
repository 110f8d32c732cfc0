-- Schema 4: the duplicate check's keys, packed by hour.
--
-- Every eventID counted so far, as a 16-byte key (a GUID's own bytes, in the order they are
-- written; other IDs as their 128-bit MurmurHash3), grouped by the UTC hour of the event's
-- eventTime. One row per commit that added keys to an hour: `keys` is the concatenation of
-- those keys. A scan loads an hour's rows when it first meets an event of that hour, so memory
-- stays bounded however long the history. Count the keys with
--   SELECT sum(length(keys)) / 16 FROM seen_ids;
-- and list them with hex(substr(keys, 16 * n + 1, 16)).
--
-- seen_events (schema 1) held one row per key, without time; rows written by older versions
-- stay there and are still honoured, and nothing new is added to it.
CREATE TABLE seen_ids (
  hour  INTEGER NOT NULL,  -- epoch second the hour starts
  chunk INTEGER NOT NULL,
  keys  BLOB NOT NULL,
  PRIMARY KEY (hour, chunk)
);

#!/usr/bin/env bash
# What SQLite alone costs to store what a scan stored: copies the rows of DATABASE (its
# inputs, event strings, event rows and event_matches) into a fresh database of the same schema
# and page size, in one transaction and in key order, the four random-order indexes of
# event_rows built after (as a first scan does), WAL, with the sqlite3 shell. No parsing,
# filtering, duplicate check or aggregates: a floor for the writer. perf/README.md ("Raw records, compressed") compares it with
# a default scan run beside it.
#
#   perf/sqlite-floor.sh PACK.db [OUT.db]    -> prints the seconds and the copy's bytes
set -euo pipefail
src=${1:?usage: perf/sqlite-floor.sh DATABASE [OUT]}
out=${2:-$(mktemp -u /tmp/sqlite-floor-XXXXXX.db)}
rm -f "$out" "$out-wal" "$out-shm"
schema=$(mktemp)
trap 'rm -f "$schema"' EXIT
sqlite3 "$src" ".schema" | grep -v "sqlite_stat\|sqlite_sequence" > "$schema"
start=$(date +%s.%N)
sqlite3 "$out" <<SQL
PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
.read $schema
DROP INDEX IF EXISTS events_by_event_id; DROP INDEX IF EXISTS events_by_principal;
DROP INDEX IF EXISTS events_by_source_ip; DROP INDEX IF EXISTS events_by_name;
ATTACH '$src' AS src;
BEGIN;
INSERT INTO inputs SELECT * FROM src.inputs;
INSERT INTO event_strings SELECT * FROM src.event_strings ORDER BY string_id;
INSERT INTO event_rows SELECT * FROM src.event_rows ORDER BY event_pk;
INSERT INTO event_matches SELECT * FROM src.event_matches ORDER BY filter_id, event_pk;
COMMIT;
CREATE INDEX events_by_event_id ON event_rows (event_id);
CREATE INDEX events_by_principal ON event_rows (principal_ref, stamp);
CREATE INDEX events_by_source_ip ON event_rows (ip_ref, stamp);
CREATE INDEX events_by_name ON event_rows (name_ref, stamp);
PRAGMA wal_checkpoint(TRUNCATE);
SQL
end=$(date +%s.%N)
echo "copy: $(echo "$end - $start" | bc) s, $(stat -c %s "$out") bytes ($out)"

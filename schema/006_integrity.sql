-- trailreplay database: integrity. `scan` records what it read byte for byte, and
-- `verify --db` keeps what it proved about the archive, for SQL and the report.

-- The SHA-256 of each input's bytes as stored (the file, or the archive member; lowercase hex):
-- `verify --db` finds those bytes in the archive, decompresses them and matches their content
-- against the hashes CloudTrail's digests vouch for. (Hashing the decompressed content itself,
-- what a digest records, cost half again a scan's CPU; the stored bytes are a tenth of it.)
-- NULL for inputs scanned before this migration, archives' own rows and inputs that could not be
-- read.
ALTER TABLE inputs ADD COLUMN stored_sha256 TEXT;

-- One row per run of `verify --db`.
CREATE TABLE verifications (
  verification_id INTEGER PRIMARY KEY,
  run_at          TEXT NOT NULL,
  version         TEXT NOT NULL,
  options         TEXT NOT NULL,     -- JSON: paths, public key files, from, to
  problems        INTEGER NOT NULL,  -- what made the exit status 3; 0: everything proved
  summary         TEXT NOT NULL      -- JSON, the "summary" object `verify --json` prints
);

-- What a verification found: every digest, log file, gap and scanned input it judged.
CREATE TABLE verification_findings (
  verification_id INTEGER NOT NULL REFERENCES verifications (verification_id),
  kind            TEXT NOT NULL,  -- digest, log, gap, input
  status          TEXT NOT NULL,  -- digest: valid, chained, unauthenticated, invalid, missing;
                                  -- log: valid, modified, missing, unvouched, re-encoded;
                                  -- gap: explained, unexplained;
                                  -- input: vouched, unvouched, unhashed, unscanned
  key             TEXT,           -- S3 key relative to the bucket root
  path            TEXT,           -- where it was found (file, or archive!member); NULL: absent
  chain           TEXT,           -- [org/]account/region/trail/home-region[/backfill]
  start_time      INTEGER,        -- digests and gaps: the period (epoch seconds)
  end_time        INTEGER,
  detail          TEXT NOT NULL,
  evidence        TEXT            -- gaps: JSON array of {key, eventID, eventName, eventTime}
);
CREATE INDEX verification_findings_by_run ON verification_findings (verification_id, kind, status);

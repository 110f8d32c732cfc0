-- trailreplay database, version 2: what alarm replays need and produce.

-- The distinct values published per series and minute, with how many samples had each:
-- percentiles need them (samples keeps only count, sum, minimum and maximum). Databases
-- scanned before version 2 get the minutes whose samples all had one value (every filter
-- publishing a constant, such as the CIS filters' 1); others are left without.
CREATE TABLE sample_values (
  series_id INTEGER NOT NULL REFERENCES series (series_id),
  minute    INTEGER NOT NULL,
  value     REAL NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (series_id, minute, value)
) WITHOUT ROWID;
INSERT INTO sample_values (series_id, minute, value, count)
  SELECT series_id, minute, minimum, sample_count FROM samples WHERE minimum = maximum;

-- Which series each match published to (NULL: it published nothing), so an alarm episode can
-- name exactly the events behind its datapoints.
ALTER TABLE event_matches ADD COLUMN series_id INTEGER REFERENCES series (series_id);
UPDATE event_matches SET series_id = (
  SELECT s.series_id FROM series AS s JOIN filters AS f
    ON s.metric_namespace = f.metric_namespace AND s.metric_name = f.metric_name
  WHERE f.filter_id = event_matches.filter_id AND s.dimensions = '{}')
WHERE value IS NOT NULL;

-- One row per run of `replay`.
CREATE TABLE replays (
  replay_id  INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  version    TEXT NOT NULL,
  options    TEXT NOT NULL,  -- JSON
  from_time  INTEGER NOT NULL,
  to_time    INTEGER NOT NULL
);

-- The alarms replayed, as evaluated (overrides applied). A replay of an alarm replaces that
-- alarm's earlier results.
CREATE TABLE replayed_alarms (
  alarm_name TEXT PRIMARY KEY,
  replay_id  INTEGER NOT NULL REFERENCES replays (replay_id),
  definition TEXT NOT NULL,  -- JSON, MetricAlarm-shaped
  series_id  INTEGER REFERENCES series (series_id)  -- NULL: no samples were ever published
);

CREATE TABLE alarm_transitions (
  alarm_name TEXT NOT NULL REFERENCES replayed_alarms (alarm_name),
  time       INTEGER NOT NULL,
  old_state  TEXT NOT NULL,
  new_state  TEXT NOT NULL,
  reason     TEXT NOT NULL
);
CREATE INDEX alarm_transitions_by_alarm ON alarm_transitions (alarm_name, time);

-- Periods in ALARM: from the transition into ALARM to the transition out of it (end NULL:
-- still in ALARM when the replay ended).
CREATE TABLE alarm_episode_rows (
  alarm_name     TEXT NOT NULL REFERENCES replayed_alarms (alarm_name),
  start_time     INTEGER NOT NULL,
  end_time       INTEGER,
  peak           REAL,     -- the highest datapoint evaluated during the episode
  matched_events INTEGER NOT NULL  -- events behind its datapoints (see schema/README.md)
);
CREATE INDEX alarm_episode_rows_by_alarm ON alarm_episode_rows (alarm_name, start_time);

CREATE VIEW alarm_history AS
  SELECT alarm_name,
         strftime('%Y-%m-%dT%H:%M:%SZ', time, 'unixepoch') AS time,
         old_state, new_state, reason,
         time AS time_epoch
  FROM alarm_transitions;

CREATE VIEW alarm_episodes AS
  SELECT alarm_name,
         strftime('%Y-%m-%dT%H:%M:%SZ', start_time, 'unixepoch') AS start_time,
         strftime('%Y-%m-%dT%H:%M:%SZ', end_time, 'unixepoch') AS end_time,
         end_time - start_time AS duration_seconds,
         peak, matched_events,
         start_time AS start_epoch, end_time AS end_epoch
  FROM alarm_episode_rows;

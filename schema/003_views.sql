-- trailreplay database, version 3: views for the usual questions, for `trailreplay sql` and the
-- sqlite3 shell. Only views: nothing stored changes shape, so a version 2 database gains them
-- when any read-write command (or `sql`) opens it.

-- Each alarm episode with the matching events behind it: events published to the alarm's
-- series (event_matches.series_id = replayed_alarms.series_id) counted at a time (`stamp`)
-- that one of the episode's evaluations could see. The evaluation at minute T reads the
-- windows [T - k*Period - Period, T - k*Period) for k < R, R = EvaluationPeriods + 2 (the
-- default evaluation range, read from the replayed definition); the episode's evaluations run
-- from its start to the minute before its end (to the replay's end when still in ALARM). So:
--
--   start_epoch - R * Period <= stamp < coalesce(end_epoch, replays.to_time + 60) - 60
--
-- This is every event the evaluations could have looked at: a superset of the events counted
-- in alarm_episodes.matched_events, which are only those in the newest N windows that held
-- data. A replay run with --evaluation-range is not reflected (the range is not stored).
CREATE VIEW episode_events AS
  SELECT a.alarm_name AS alarm_name,
         strftime('%Y-%m-%dT%H:%M:%SZ', a.start_time, 'unixepoch') AS start_time,
         strftime('%Y-%m-%dT%H:%M:%SZ', a.end_time, 'unixepoch') AS end_time,
         strftime('%Y-%m-%dT%H:%M:%SZ', e.event_time, 'unixepoch') AS event_time,
         e.event_id AS event_id,
         e.event_source AS event_source,
         e.event_name AS event_name,
         e.error_code AS error_code,
         e.principal_arn AS principal_arn,
         e.source_ip AS source_ip,
         e.user_agent AS user_agent,
         a.start_time AS start_epoch,
         e.stamp AS stamp_epoch
  FROM alarm_episode_rows AS a
  JOIN replayed_alarms AS r ON r.alarm_name = a.alarm_name
  JOIN replays AS p ON p.replay_id = r.replay_id
  JOIN events AS e
    ON e.stamp >= a.start_time - (json_extract(r.definition, '$.EvaluationPeriods') + 2) *
                                 json_extract(r.definition, '$.Period')
   AND e.stamp < coalesce(a.end_time, p.to_time + 60) - 60
  WHERE EXISTS (SELECT 1 FROM event_matches AS m
                WHERE m.event_pk = e.event_pk AND m.series_id = r.series_id);

-- Matches per filter, principal (userIdentity.arn; NULL when the record has none) and
-- 300-second bucket.
CREATE VIEW principal_buckets AS
  SELECT f.name AS filter_name,
         strftime('%Y-%m-%dT%H:%M:%SZ', e.stamp - e.stamp % 300, 'unixepoch') AS bucket_start,
         e.principal_arn AS principal_arn,
         count(*) AS matches,
         e.stamp - e.stamp % 300 AS bucket_epoch
  FROM event_matches AS m
  JOIN filters AS f ON f.filter_id = m.filter_id
  JOIN events AS e ON e.event_pk = m.event_pk
  GROUP BY m.filter_id, e.stamp - e.stamp % 300, e.principal_arn;

-- The 300-second series of each filter with the empty buckets filled in: one row per filter
-- and bucket from the bucket of the first minute with events (minute_totals) to that of the
-- last, so a plot or a moving average sees the quiet buckets as 0. `events` counts every event
-- counted in the bucket (matching or not); a bucket with events = 0 had no logs at all.
CREATE VIEW bucket_series AS
  WITH RECURSIVE
    span (lo, hi) AS (
      SELECT min(minute) - min(minute) % 300, max(minute) - max(minute) % 300
      FROM minute_totals),
    grid (bucket) AS (
      SELECT lo FROM span WHERE lo IS NOT NULL
      UNION ALL
      SELECT grid.bucket + 300 FROM grid, span WHERE grid.bucket + 300 <= span.hi),
    totals (bucket, events) AS (
      SELECT minute - minute % 300, sum(events) FROM minute_totals GROUP BY 1)
  SELECT f.name AS filter_name,
         strftime('%Y-%m-%dT%H:%M:%SZ', g.bucket, 'unixepoch') AS bucket_start,
         coalesce(b.matches, 0) AS matches,
         coalesce(b.value_sum, 0.0) AS value_sum,
         coalesce(t.events, 0) AS events,
         g.bucket AS bucket_epoch
  FROM filters AS f
  CROSS JOIN grid AS g
  LEFT JOIN filter_buckets AS b ON b.filter_id = f.filter_id AND b.bucket = g.bucket
  LEFT JOIN totals AS t ON t.bucket = g.bucket;

-- trailreplay database, version 5: replays say how they were run.
--
-- `replays.options` (schema 2) now holds the settings each replay ran with: its window
-- (`from`/`to` as given, or null for the whole history), what-if overrides, the evaluation
-- range, the rules and the alarms chosen, so a stored replay can be told apart from one over
-- the whole history (the report shows the two differently).
--
-- The episode_events view read each alarm's look-back from its JSON definition
-- (json_extract), which a connection that does not trust the schema refuses (`sql` runs with
-- SQLITE_DBCONFIG_TRUSTED_SCHEMA off), and it assumed the default evaluation range. Each
-- replayed alarm now records how far its evaluations look back, in seconds: R x Period, with
-- the R the replay used.
ALTER TABLE replayed_alarms ADD COLUMN lookback_seconds INTEGER;
UPDATE replayed_alarms
  SET lookback_seconds = (json_extract(definition, '$.EvaluationPeriods') + 2) *
                         json_extract(definition, '$.Period');

DROP VIEW episode_events;
-- Each alarm episode with the matching events behind it: events published to the alarm's
-- series counted at a time (`stamp`) that one of the episode's evaluations could see:
--
--   start_epoch - lookback_seconds <= stamp < coalesce(end_epoch, replays.to_time + 60) - 60
--
-- (see schema/README.md): a superset of the events counted in alarm_episodes.matched_events.
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
    ON e.stamp >= a.start_time - r.lookback_seconds
   AND e.stamp < coalesce(a.end_time, p.to_time + 60) - 60
  WHERE EXISTS (SELECT 1 FROM event_matches AS m
                WHERE m.event_pk = e.event_pk AND m.series_id = r.series_id);

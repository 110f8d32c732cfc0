// DuckDB baselines for perf/scan-benchmark.py: the same answer as `scan` with the default rules
// (per-minute totals of all events, and the 300-second buckets of both CIS filters, duplicates
// removed by eventID) over the same .json.gz files. Prints one JSON line.
//
//   typed  what a DuckDB expert writes: read_json with a typed projection of the four fields
//          the answer needs, so DuckDB parses nothing else, unnest(recursive), DISTINCT ON
//   json   the form most analysts start from: each record as JSON, fields by
//          json_extract_string (1.3-1.7x slower than typed)
//
// Usage: node duckdb_scan.mjs DIR THREADS [typed|json]
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, threads, mode = 'typed'] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const connection = await instance.connect();
const glob = `${dir}/**/*.json.gz`;
const records = mode === 'json'
  ? `SELECT json_extract_string(r, '$.eventID') AS eventID,
            json_extract_string(r, '$.eventTime') AS eventTime,
            json_extract_string(r, '$.errorCode') AS errorCode,
            json_extract_string(r, '$.eventName') AS eventName
     FROM (SELECT unnest(Records) AS r
           FROM read_json('${glob}', columns = {Records: 'JSON[]'},
                          maximum_object_size = 536870912))`
  : `SELECT unnest(Records, recursive := true)
     FROM read_json('${glob}',
                    columns = {Records: 'STRUCT(eventID VARCHAR, eventTime VARCHAR,
                                                errorCode VARCHAR, eventName VARCHAR)[]'},
                    maximum_object_size = 536870912)`;
const started = Date.now();
const reader = await connection.runAndReadAll(`
  WITH events AS (
    SELECT DISTINCT ON (eventID) eventID, errorCode, eventName,
           epoch(CAST(eventTime AS TIMESTAMP))::BIGINT AS t
    FROM (${records})),
  flagged AS (
    SELECT t, errorCode LIKE '%UnauthorizedOperation' OR errorCode LIKE 'AccessDenied%' AS unauthorized,
           eventName IN ('CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging',
                         'StopLogging') AS cloudtrail
    FROM events)
  SELECT count(*) AS events,
         count(DISTINCT t // 60) AS minutes,
         count(*) FILTER (WHERE unauthorized) AS unauthorized,
         count(DISTINCT t // 300) FILTER (WHERE unauthorized) AS unauthorized_buckets,
         count(*) FILTER (WHERE cloudtrail) AS cloudtrail,
         count(DISTINCT t // 300) FILTER (WHERE cloudtrail) AS cloudtrail_buckets
  FROM flagged`);
const row = reader.getRowObjectsJson()[0];
console.log(JSON.stringify({ mode, ...row, seconds: (Date.now() - started) / 1000 }));

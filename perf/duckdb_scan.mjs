// DuckDB baseline for perf/scan-benchmark.py: what an analyst would run over the same
// .json.gz files (read_json, one row per record, the unauthorized-calls filter, distinct
// eventIDs). Prints one JSON line. Usage: node duckdb_scan.mjs DIR THREADS
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, threads] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const connection = await instance.connect();
const started = Date.now();
const reader = await connection.runAndReadAll(`
  SELECT count(*) AS records,
         count(DISTINCT json_extract_string(r, '$.eventID')) AS events,
         count(*) FILTER (WHERE json_extract_string(r, '$.errorCode') LIKE '%UnauthorizedOperation'
                             OR json_extract_string(r, '$.errorCode') LIKE 'AccessDenied%')
           AS unauthorized
  FROM (SELECT unnest(Records) AS r
        FROM read_json('${dir}/**/*.json.gz', columns = {Records: 'JSON[]'},
                       maximum_object_size = 536870912))`);
const row = reader.getRowObjectsJson()[0];
console.log(JSON.stringify({ ...row, seconds: (Date.now() - started) / 1000 }));

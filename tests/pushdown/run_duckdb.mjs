// Runs SQL with DuckDB (the @duckdb/node-api package) for tests/pushdown: each job is
// {name, setup: [sql...], queries: [{query, out}]}, run in one in-memory database; each query's
// result goes to its `out` as CSV written the way Athena writes results (a header row, every
// value quoted, NULL as an empty field).
// Usage: node run_duckdb.mjs JOBS.json    (prints one JSON line per job: seconds, or error)
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'fs';

const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
for (const job of jobs) {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  const started = Date.now();
  try {
    for (const sql of job.setup || []) await connection.run(sql);
    for (const { query, out } of job.queries) {
      let sql = query.trim();
      if (sql.endsWith(';')) sql = sql.slice(0, -1);
      await connection.run(`COPY (${sql}) TO '${out.replaceAll("'", "''")}' (HEADER, FORCE_QUOTE *)`);
    }
    console.log(JSON.stringify({ name: job.name, seconds: (Date.now() - started) / 1000 }));
  } catch (error) {
    console.log(JSON.stringify({ name: job.name, error: String(error) }));
  }
  connection.closeSync?.();
}

// The DuckDB side of the Parquet figures (bench/run, bench/parquet): `convert CSV OUT CODEC` writes the users CSV
// as Parquet; `time FILE [THREADS]` prints {"count_s":..,"scan_s":..} for count(*) and a full scan of every
// column on THREADS threads (default 1), best of 3. Run from a directory where tests/parquet's package is
// installed (npm ci).
import { DuckDBInstance } from '@duckdb/node-api';

const [cmd, a, b, codec] = process.argv.slice(2);
const threads = cmd === 'time' && b ? b : '1';
const db = await DuckDBInstance.create(':memory:', { threads });
const c = await db.connect();
if (cmd === 'convert') {
  await c.run(`COPY (SELECT * FROM read_csv('${a}', header = false, quote = '"', escape = '"',
      columns = {'user_id': 'BIGINT', 'url': 'VARCHAR', 'login': 'VARCHAR', 'avatar_url': 'VARCHAR'}))
    TO '${b}' (FORMAT parquet, COMPRESSION ${codec})`);
} else if (cmd === 'time') {
  const best = async (sql) => {
    let min = Infinity;
    for (let i = 0; i < 3; ++i) {
      const t0 = process.hrtime.bigint();
      await c.runAndReadAll(sql);
      min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return min;
  };
  const count_s = await best(`SELECT count(*) FROM read_parquet('${a}')`);
  const scan_s = await best(`SELECT sum(user_id), sum(length(url)), sum(length(login)), sum(length(avatar_url))
                             FROM read_parquet('${a}')`);
  console.log(JSON.stringify({ count_s, scan_s }));
} else {
  console.error('usage: node parquet_duckdb.mjs convert CSV OUT CODEC | time FILE [THREADS]');
  process.exit(2);
}

// Writes the Parquet files of parquet_test with DuckDB (an independent writer; pgload never writes Parquet), and
// the same rows as CSV for PostgreSQL's own COPY. Usage: node write_fixtures.mjs OUTDIR
import { DuckDBInstance } from '@duckdb/node-api';

const out = process.argv[2];
if (!out) {
  console.error('usage: node write_fixtures.mjs OUTDIR');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run("SET TimeZone = 'UTC'");
await c.run("CREATE TYPE color AS ENUM ('red', 'green', 'blue')");
// Every type of the list, ~10% NULLs, a dictionary-friendly string column, a high-cardinality one (the
// dictionary falls back to plain), a few 200 KB strings (several pages), values at the ends of ranges.
await c.run(`CREATE TABLE types AS SELECT
  i AS id,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS i8,
  CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 7 % 65536 - 32768)::SMALLINT END AS i16,
  CASE WHEN i % 7 = 0 THEN NULL ELSE ((i * 2654435761) % 4294967296 - 2147483648)::INTEGER END AS i32,
  CASE WHEN i % 2 = 0 THEN (hash(i) >> 1)::BIGINT ELSE -((hash(i) >> 1)::BIGINT) - 1 END AS i64,
  (i % 256)::UTINYINT AS u8,
  (i * 3 % 65536)::USMALLINT AS u16,
  (hash(i) % 4294967296)::UINTEGER AS u32,
  hash(i) AS u64,
  CASE WHEN i % 5 = 0 THEN NULL ELSE (i / 3.0)::FLOAT END AS f,
  (i / 7.0)::DOUBLE * CASE WHEN i % 2 = 0 THEN 1 ELSE -1e10 END AS d,
  CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN '' WHEN i % 10 = 2 THEN 'ünïcödé ☃ ' || i
       WHEN i % 10 = 3 THEN 'quote " comma , newline' || chr(10) || 'x' ELSE 'str' || (i % 50) END AS s,
  md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS hs,
  CASE WHEN i % 1000 = 5 THEN repeat('L', 200000 + i) ELSE NULL END AS big,
  (['red', 'green', 'blue'])[i % 3 + 1]::color AS e,
  CASE WHEN i % 6 = 0 THEN NULL ELSE json_object('k', i, 'a', [i::VARCHAR, 'x'])::JSON END AS j,
  CASE WHEN i % 8 = 0 THEN NULL ELSE gen_random_uuid() END AS u,
  ((i % 10000) / 100.0 - 50)::DECIMAL(4, 2) AS dec4,
  (((i * 12345) % 1000000000000) / 1000000.0 * CASE WHEN i % 3 = 0 THEN -1 ELSE 1 END)::DECIMAL(18, 6) AS dec18,
  (hash(i)::DECIMAL(38, 0) / 997 * CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END)::DECIMAL(38, 10) AS dec38,
  DATE '1900-01-01' + (i * 37 % 80000)::INTEGER AS dt,
  TIME '00:00:00' + to_microseconds((i * 123456789) % 86400000000) AS tm,
  TIMESTAMP '1960-01-01' + to_microseconds(i * 987654321011) AS ts,
  TIMESTAMPTZ '1960-01-01 00:00:00+00' + to_microseconds(i * 987654321011) AS tsz,
  (TIMESTAMP '1990-01-01' + to_milliseconds(i * 123456789))::TIMESTAMP_MS AS ts_ms,
  make_timestamp_ns(i * 1234567891 - 5000000000 + (i % 4) * 500) AS ts_ns,
  CASE WHEN i % 9 = 0 THEN NULL ELSE unhex(md5(i::VARCHAR)) END AS bl
FROM range(10000) r(i)`);

// The CSV PostgreSQL's COPY reads: bytea in its hex form; everything else as DuckDB prints it.
await c.run(`COPY (SELECT * REPLACE ('\\x' || hex(bl) AS bl) FROM types) TO '${out}/types.csv' (HEADER false)`);
const codecs = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw', 'brotli'];
for (const codec of codecs)
  for (const version of ['v1', 'v2'])
    await c.run(`COPY types TO '${out}/types_${codec}_${version}.parquet'
                 (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${version}, ROW_GROUP_SIZE 4096)`);
// Values that cannot go into the test's columns (an int8 past int4, a string for an integer), in row group 1
// (DuckDB cuts row groups at multiples of 2048 rows).
await c.run(`COPY (SELECT i AS id, CASE WHEN i = 3000 THEN 3000000000 ELSE i END AS v,
                   CASE WHEN i = 3002 THEN 'x' ELSE NULL END AS w FROM range(5000) r(i))
             TO '${out}/bad_values.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
// Nested columns, NULL at every level, empty lists, lists long enough to span pages, in three row groups: LIST of
// INTEGER and of VARCHAR (into arrays), a LIST of LISTs (a two-dimensional array; rectangular), a MAP, a STRUCT
// holding a LIST, a LIST of STRUCTs holding LISTs (into jsonb). nested_arrays.csv has the lists as PostgreSQL array
// literals (made here by DuckDB from the same values) and the rest as DuckDB's to_json; nested_json.csv has every
// nested column as to_json.
await c.run(`CREATE TABLE nested AS SELECT
  i AS id,
  CASE i % 7 WHEN 0 THEN NULL WHEN 1 THEN [] WHEN 2 THEN [NULL] WHEN 3 THEN [i, NULL, -i]
       ELSE list_transform(range(i % 300), x -> CASE WHEN x % 10 = 9 THEN NULL ELSE (x * i)::INTEGER END) END AS li,
  CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN [] WHEN 2 THEN [NULL, '']
       WHEN 3 THEN ['quote " back \\ comma , {brace}', 'ünïcödé ☃ ' || i] ELSE ['s' || i, 's' || (i + 1)] END AS lt,
  CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN [] WHEN 2 THEN [[i, NULL], [i + 1, i + 2], [NULL, NULL]]
       ELSE [[i]] END AS ll,
  CASE i % 6 WHEN 0 THEN NULL WHEN 1 THEN MAP {} ELSE MAP {'k' || i: i, 'n': NULL, 'x"y': -i} END AS m,
  CASE i % 8 WHEN 0 THEN NULL
       ELSE {'a': CASE WHEN i % 3 = 0 THEN NULL ELSE i END, 'b': 'b' || i,
             'c': CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN [] ELSE [i / 4, NULL] END} END AS st,
  CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN [] WHEN 2 THEN [NULL]
       ELSE [{'k': i, 'v': ['x', NULL]}, {'k': NULL, 'v': NULL}, {'k': -i, 'v': []}] END AS ls
FROM range(5000) r(i)`);
await c.run(`COPY nested TO '${out}/nesting.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
await c.run(`COPY nested TO '${out}/nesting_v2_zstd.parquet'
             (FORMAT parquet, PARQUET_VERSION v2, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`);
const pgInts = (e) => `'{' || array_to_string(list_transform(${e}, x -> coalesce(x::VARCHAR, 'NULL')), ',') || '}'`;
const pgText = `'{' || array_to_string(list_transform(lt, x -> CASE WHEN x IS NULL THEN 'NULL'
                 ELSE '"' || replace(replace(x, '\\', '\\\\'), '"', '\\"') || '"' END), ',') || '}'`;
await c.run(`COPY (SELECT id, ${pgInts('li')}, ${pgText},
                   '{' || array_to_string(list_transform(ll, r -> ${pgInts('r')}), ',') || '}',
                   to_json(m), to_json(st), to_json(ls) FROM nested)
             TO '${out}/nested_arrays.csv' (HEADER false)`);
await c.run(`COPY (SELECT id, to_json(li), to_json(lt), to_json(ll), to_json(m), to_json(st), to_json(ls) FROM nested)
             TO '${out}/nested_json.csv' (HEADER false)`);
// Lists a PostgreSQL array cannot hold (inner lists of different lengths, a NULL inner list) in row group 1.
await c.run(`COPY (SELECT i AS id, CASE WHEN i = 3000 THEN [[1], [2, 3]] WHEN i = 3001 THEN [[1], NULL]
                   ELSE [[i, i]] END AS ll FROM range(5000) r(i))
             TO '${out}/ragged.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
// A LIST and a struct column, and a file lacking a nullable column.
await c.run(`COPY (SELECT i AS id, [i, i + 1] AS tags, {'a': i} AS st FROM range(3) r(i))
             TO '${out}/nested.parquet' (FORMAT parquet)`);
await c.run(`COPY (SELECT i AS id FROM range(3) r(i)) TO '${out}/only_id.parquet' (FORMAT parquet)`);
console.log('wrote', codecs.length * 2, 'files to', out);

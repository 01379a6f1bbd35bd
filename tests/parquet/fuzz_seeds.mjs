// Writes the seed corpus of fuzz/parquet_fuzz.cpp (fuzz/parquet_seeds runs it at fuzz time; nothing committed):
// small Parquet files (under fuzz/run's 4096-byte --max-len) by DuckDB, every codec and both page versions, flat
// columns of several types and LIST, MAP, STRUCT and LIST-of-STRUCT columns with NULLs and empty lists; and by
// Apache Arrow's writer (parquet-wasm) DATA_PAGE_V2 with DELTA_BYTE_ARRAY, RLE booleans and a LIST.
// Usage: node fuzz_seeds.mjs OUTDIR
import { writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import * as pq from 'parquet-wasm';

const out = process.argv[2];
if (!out) {
  console.error('usage: node fuzz_seeds.mjs OUTDIR');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`CREATE TABLE flat AS SELECT i AS id, CASE WHEN i % 3 = 0 THEN NULL ELSE 's' || (i % 4) END AS s,
  (i / 3.0)::DOUBLE AS d, i % 2 = 0 AS b, (i * 1.25)::DECIMAL(9, 2) AS dec, DATE '2020-01-01' + i::INTEGER AS dt,
  TIMESTAMP '2020-01-01' + to_microseconds(i * 1000003) AS ts FROM range(12) r(i)`);
await c.run(`CREATE TABLE nested AS SELECT i AS id,
  CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN [] ELSE [i, NULL, i + 1] END AS li,
  CASE WHEN i % 3 = 0 THEN NULL ELSE MAP {'k' || i: i} END AS m,
  CASE WHEN i % 5 = 0 THEN NULL ELSE {'a': i, 'b': CASE WHEN i % 2 = 0 THEN NULL ELSE ['x', 'y'] END} END AS st,
  [{'k': i, 'v': [i, NULL]}, NULL] AS ls, [[i, i], [NULL, i]] AS ll FROM range(8) r(i)`);
let n = 0;
for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw', 'brotli'])
  for (const version of ['v1', 'v2'])
    for (const t of ['flat', 'nested']) {
      await c.run(`COPY ${t} TO '${out}/${t}_${codec}_${version}.parquet'
                   (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${version})`);
      ++n;
    }
await c.run(`COPY (SELECT i AS id, 'p' || (i % 3) AS s FROM range(40) r(i)) TO '${out}/row_groups.parquet'
             (FORMAT parquet, ROW_GROUP_SIZE 8)`);
++n;
const t = new arrow.Table({
  id: arrow.vectorFromArray([1n, 2n, 3n, 4n, 5n], new arrow.Int64()),
  s: arrow.vectorFromArray(['key/1', 'key/12', null, 'key/123', ''], new arrow.Utf8()),
  flag: arrow.vectorFromArray([true, null, false, true, true], new arrow.Bool()),
  l: arrow.vectorFromArray([[1, 2], [], null, [3, null], [4]],
    new arrow.List(new arrow.Field('item', new arrow.Int32(), true))),
});
const wasm = () => pq.Table.fromIPCStream(arrow.tableToIPC(t, 'stream'));
writeFileSync(`${out}/arrow_v2_delta.parquet`, pq.writeParquet(wasm(), new pq.WriterPropertiesBuilder()
  .setWriterVersion(pq.WriterVersion.V2).setDictionaryEnabled(false)
  .setColumnEncoding('s', pq.Encoding.DELTA_BYTE_ARRAY).setColumnEncoding('id', pq.Encoding.DELTA_BINARY_PACKED)
  .setColumnEncoding('flag', pq.Encoding.RLE).setDataPageSizeLimit(64).setWriteBatchSize(2).build()));
writeFileSync(`${out}/arrow_v1_dict.parquet`, pq.writeParquet(wasm(), new pq.WriterPropertiesBuilder()
  .setWriterVersion(pq.WriterVersion.V1).setCompression(pq.Compression.SNAPPY).setDictionaryEnabled(true).build()));
n += 2;
console.log('wrote', n, 'seed files to', out);

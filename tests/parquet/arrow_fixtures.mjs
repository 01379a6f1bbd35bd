// Writes Parquet files with Apache Arrow's writer (arrow-rs through parquet-wasm) where DuckDB writes no such
// thing: DATA_PAGE_V2 pages, DELTA_BYTE_ARRAY, RLE booleans, a dictionary that falls back to plain mid-chunk, many
// small pages; and the same rows as CSV (written here from the same values). Usage: node arrow_fixtures.mjs OUTDIR
import { writeFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import * as pq from 'parquet-wasm';

const out = process.argv[2];
const n = 5000;
const id = new BigInt64Array(n), num = [], s = [], f = new Float64Array(n), flag = [];
for (let i = 0; i < n; ++i) {
  id[i] = BigInt(i) * 1000003n - 2500000000n;
  num.push(i % 7 === 0 ? null : ((i * 2654435761) % 4294967296) - 2147483648);
  // Sorted-ish keys share prefixes (DELTA_BYTE_ARRAY's point); some NULL, some empty, some long.
  s.push(i % 11 === 0 ? null : i % 13 === 0 ? '' : 'key/' + String(Math.floor(i / 10)).padStart(6, '0') + '/é' + 'x'.repeat(i % 97));
  f[i] = (i - 2500) / 3;
  flag.push(i % 5 === 0 ? null : i % 3 === 0);
}
const table = arrow.tableFromArrays({ id, num: Int32Array.from(num, (v) => v ?? 0), s, f, flag });
// Nulls: rebuild the nullable columns with vectors that carry them.
const t = new arrow.Table({
  id: table.getChild('id'),
  num: arrow.vectorFromArray(num, new arrow.Int32()),
  s: arrow.vectorFromArray(s, new arrow.Utf8()),
  f: table.getChild('f'),
  flag: arrow.vectorFromArray(flag, new arrow.Bool()),
});
const wasmTable = () => pq.Table.fromIPCStream(arrow.tableToIPC(t, 'stream'));
const write = (name, props) => writeFileSync(`${out}/${name}`, pq.writeParquet(wasmTable(), props));
write('arrow_v2_delta.parquet', new pq.WriterPropertiesBuilder()
  .setWriterVersion(pq.WriterVersion.V2).setCompression(pq.Compression.ZSTD).setDictionaryEnabled(false)
  .setColumnEncoding('s', pq.Encoding.DELTA_BYTE_ARRAY).setColumnEncoding('num', pq.Encoding.DELTA_BINARY_PACKED)
  .setColumnEncoding('id', pq.Encoding.DELTA_BINARY_PACKED).setColumnEncoding('f', pq.Encoding.BYTE_STREAM_SPLIT)
  .setColumnEncoding('flag', pq.Encoding.RLE)
  .setDataPageSizeLimit(1024).setWriteBatchSize(128).setMaxRowGroupSize(1500).build());
write('arrow_v1_fallback.parquet', new pq.WriterPropertiesBuilder()
  .setWriterVersion(pq.WriterVersion.V1).setCompression(pq.Compression.SNAPPY).setDictionaryEnabled(true)
  .setDictionaryPageSizeLimit(2048).setDataPageSizeLimit(4096).setWriteBatchSize(256).build());
write('arrow_v2_dict_gzip.parquet', new pq.WriterPropertiesBuilder()
  .setWriterVersion(pq.WriterVersion.V2).setCompression(pq.Compression.GZIP).setDictionaryEnabled(true)
  .setDataPageSizeLimit(2048).setWriteBatchSize(256).setMaxRowGroupSize(2048).build());
const csv = (v) => v === null ? '' : typeof v === 'string' ? '"' + v.replaceAll('"', '""') + '"' : String(v);
let text = '';
for (let i = 0; i < n; ++i) text += [id[i], num[i], s[i], f[i], flag[i]].map(csv).join(',') + '\n';
writeFileSync(`${out}/arrow.csv`, text);
console.log('wrote 3 Arrow-written files to', out);

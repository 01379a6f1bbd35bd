// The Parquet test files, written once per test binary by independent writers (DuckDB and Apache Arrow's writer,
// tests/parquet/*.mjs, after `npm ci` of the committed lock file into a temp dir), with the same rows as CSV.
#pragma once

#include <string>

namespace pgload::test {

// The columns of write_fixtures.mjs's `types` table (types_<codec>_<v1|v2>.parquet, types.csv), in its order.
inline constexpr const char* kParquetTypesColumns =
    "id bigint, i8 smallint, i16 smallint, i32 integer, i64 bigint, u8 smallint, u16 integer, u32 bigint, "
    "u64 numeric(20,0), f real, d double precision, b boolean, s text, hs varchar(64), big text, e text, j jsonb, "
    "u uuid, dec4 numeric(4,2), dec18 numeric(18,6), dec38 numeric(38,10), dt date, tm time, ts timestamp, "
    "tsz timestamptz, ts_ms timestamp, ts_ns timestamp, bl bytea";
inline constexpr int kParquetTypesRows = 10000;

struct ParquetFixtures {
  std::string dir;          // where the files are; empty when they could not be written
  std::string skip_reason;  // why not (no node/npm, no registry)
};

const ParquetFixtures& parquet_fixtures();

}  // namespace pgload::test

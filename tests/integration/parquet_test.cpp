// pgload --format parquet end to end on a real local cluster, with files written by independent writers (DuckDB,
// tests/parquet/write_fixtures.mjs; Apache Arrow's arrow-rs through parquet-wasm, arrow_fixtures.mjs: npm ci of the
// committed lock file into a temp dir). Every codec and both Parquet versions (DuckDB's v2: DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT; Arrow's: DATA_PAGE_V2, DELTA_BYTE_ARRAY, dictionary fallback) load rows
// equal to PostgreSQL's own COPY of the CSV the writer's script wrote of the same rows (EXCEPT ALL on the workers), and
// every row sits in the shard of the server's hash of its distribution value. Bad values reject rows naming row
// group, row and column; bad files fail naming file, row group, column and page, and load nothing.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/pg.h"
#include "common/shard_name.h"
#include "loader/parquet/metadata.h"
#include "loader/parquet/parquet_file.h"
#include "tests/support/files.h"
#include "tests/support/parquet_fixtures.h"
#include "tests/support/serve_file.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr const char* kTypesColumns = kParquetTypesColumns;
constexpr int kTypesRows = kParquetTypesRows;
const ParquetFixtures& fixtures() { return parquet_fixtures(); }

#define REQUIRE_FIXTURES()                                              \
  do {                                                                  \
    if (fixtures().dir.empty()) GTEST_SKIP() << fixtures().skip_reason; \
  } while (0)

CommandResult pgload(const TestCluster& cluster, const std::string& table, const std::string& url,
                     const std::string& extra = "") {
  return run_pgload(cluster.conninfo(), "--table " + table + " --url " + sh(url) + " --quiet " + extra);
}

// The CSV of the rows in a plain table `<csv>_csv` on every worker, by PostgreSQL's own COPY.
void copy_csv_to_workers(const TestCluster& cluster, const std::string& csv = "types",
                         const std::string& columns = kTypesColumns) {
  for (int port : cluster.worker_ports()) {
    auto w = cluster.connect_node(port);
    w.run("DROP TABLE IF EXISTS " + csv + "_csv");
    w.run("CREATE TABLE " + csv + "_csv (" + columns + ")");
    w.run("COPY " + csv + "_csv FROM " + quote_literal(fixtures().dir + "/" + csv + ".csv") + " (FORMAT csv)");
  }
}

struct Placement {
  std::string shard;
  int port;
  std::string min, max;
};

std::vector<Placement> placements(PgConn& c, const std::string& table) {
  const PgResult r = c.exec(
      "SELECT s.shardid, n.nodeport, s.shardminvalue, s.shardmaxvalue FROM pg_dist_shard s "
      "JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid) WHERE s.logicalrelid = " +
      quote_literal(table) + "::regclass");
  std::vector<Placement> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({citus_shard_name(table, r.i64(i, 0)), static_cast<int>(r.i64(i, 1)), r.str(i, 2), r.str(i, 3)});
  return out;
}

// Rows of `table` (all shards); rows not among the CSV's (EXCEPT ALL, on each worker); rows whose server hash of
// `hash_expr` lies outside their shard's range.
struct Check {
  int64_t rows = 0, not_in_csv = 0, misplaced = 0;
};

Check check_against_csv(const TestCluster& cluster, const std::string& table, const std::string& hash_expr,
                        const std::string& csv = "types") {
  auto c = cluster.connect();
  Check out;
  for (const Placement& p : placements(c, table)) {
    auto w = cluster.connect_node(p.port);
    w.run("CREATE FUNCTION pg_temp.h_date(date) RETURNS int4 LANGUAGE internal STRICT AS 'hashint4'");
    w.run("CREATE FUNCTION pg_temp.h_tstz(timestamptz) RETURNS int4 LANGUAGE internal STRICT AS 'timestamp_hash'");
    out.rows += std::stoll(*w.scalar("SELECT count(*) FROM " + p.shard));
    out.not_in_csv += std::stoll(
        *w.scalar("SELECT count(*) FROM (SELECT * FROM " + p.shard + " EXCEPT ALL SELECT * FROM " + csv + "_csv) x"));
    out.misplaced += std::stoll(*w.scalar("SELECT count(*) FROM " + p.shard + " WHERE " + hash_expr + " NOT BETWEEN " +
                                          p.min + " AND " + p.max));
  }
  return out;
}

// `expr` of the row of `table` WHERE `where`, from whichever shard holds it.
std::string in_shards(const TestCluster& cluster, const std::string& table, const std::string& expr,
                      const std::string& where) {
  auto c = cluster.connect();
  for (const Placement& p : placements(c, table))
    if (auto v = cluster.connect_node(p.port).scalar("SELECT " + expr + " FROM " + p.shard + " WHERE " + where))
      return *v;
  return "(no row)";
}

int64_t rows_in_shards(const TestCluster& cluster, const std::string& table) {
  auto c = cluster.connect();
  int64_t rows = 0;
  for (const Placement& p : placements(c, table))
    rows += std::stoll(*cluster.connect_node(p.port).scalar("SELECT count(*) FROM " + p.shard));
  return rows;
}

void create_distributed(PgConn& c, const std::string& table, const std::string& columns, const std::string& by) {
  c.run("DROP TABLE IF EXISTS " + table);
  c.run("CREATE TABLE " + table + " (" + columns + ")");
  c.run("SELECT create_distributed_table(" + quote_literal(table) + ", " + quote_literal(by) + ", shard_count => 4)");
}

TEST(ParquetTest, EveryCodecAndVersionLoadsWhatPostgresCopiesFromTheSameRowsAsCsv) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  copy_csv_to_workers(cluster);
  auto c = cluster.connect();
  for (const char* codec : {"uncompressed", "snappy", "gzip", "zstd", "lz4_raw", "brotli"}) {
    for (const char* version : {"v1", "v2"}) {
      const std::string name = std::string("types_") + codec + "_" + version;
      SCOPED_TRACE(name);
      create_distributed(c, "pq_types", kTypesColumns, "id");
      const CommandResult r = pgload(cluster, "pq_types", fixtures().dir + "/" + name + ".parquet");
      ASSERT_EQ(r.exit_code, 0) << r.output;
      const Check k = check_against_csv(cluster, "pq_types", "hashint8(id)");
      EXPECT_EQ(k.rows, kTypesRows);
      EXPECT_EQ(k.not_in_csv, 0);
      EXPECT_EQ(k.misplaced, 0);
    }
  }
}

// Files of Apache Arrow's writer: DATA_PAGE_V2 pages, DELTA_BYTE_ARRAY, RLE booleans, many small pages, and a
// dictionary that falls back to PLAIN within a column chunk.
TEST(ParquetTest, ArrowWrittenFilesLoadWhatPostgresCopiesFromTheSameRowsAsCsv) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  const std::string columns = "id bigint, num integer, s text, f double precision, flag boolean";
  copy_csv_to_workers(cluster, "arrow", columns);
  auto c = cluster.connect();
  for (const char* name : {"arrow_v2_delta", "arrow_v1_fallback", "arrow_v2_dict_gzip"}) {
    SCOPED_TRACE(name);
    create_distributed(c, "pq_arrow", columns, "s");
    // s is NULL in 1 row of 11: those rows are rejected (NULL in the distribution column), the rest load.
    const CommandResult r = pgload(cluster, "pq_arrow", fixtures().dir + "/" + name + ".parquet", "--max-errors 1000");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Check k = check_against_csv(cluster, "pq_arrow", "hashtext(s)", "arrow");
    EXPECT_EQ(k.rows, 5000 - 455);
    EXPECT_EQ(k.not_in_csv, 0);
    EXPECT_EQ(k.misplaced, 0);
    create_distributed(c, "pq_arrow", columns, "id");
    const CommandResult all = pgload(cluster, "pq_arrow", fixtures().dir + "/" + name + ".parquet");
    ASSERT_EQ(all.exit_code, 0) << all.output;
    const Check k2 = check_against_csv(cluster, "pq_arrow", "hashint8(id)", "arrow");
    EXPECT_EQ(k2.rows, 5000);
    EXPECT_EQ(k2.not_in_csv, 0);
    EXPECT_EQ(k2.misplaced, 0);
  }
}

// The distribution value is hashed from its typed form: every row must sit where the server's hash puts it.
TEST(ParquetTest, DistributionValuesOfEveryKindLandInTheShardOfTheirServerHash) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  copy_csv_to_workers(cluster);
  auto c = cluster.connect();
  const std::pair<const char*, const char*> cases[] = {
      {"hs", "hashtext(hs)"},           {"e", "hashtext(e)"},           {"dt", "pg_temp.h_date(dt)"},
      {"ts", "timestamp_hash(ts)"},     {"tsz", "pg_temp.h_tstz(tsz)"}, {"ts_ns", "timestamp_hash(ts_ns)"},
      {"dec18", "hash_numeric(dec18)"}, {"u64", "hash_numeric(u64)"},   {"d", "hashfloat8(d)"},
      {"u16", "hashint4(u16)"},
  };
  for (const auto& [column, hash] : cases) {
    SCOPED_TRACE(column);
    create_distributed(c, "pq_by", kTypesColumns, column);
    const CommandResult r = pgload(cluster, "pq_by", fixtures().dir + "/types_zstd_v2.parquet");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Check k = check_against_csv(cluster, "pq_by", hash);
    EXPECT_EQ(k.rows, kTypesRows);
    EXPECT_EQ(k.not_in_csv, 0);
    EXPECT_EQ(k.misplaced, 0);
  }
}

TEST(ParquetTest, CheckpointStepsByRowGroupResumeAfterAKillAndDryRunLoadsNothing) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  copy_csv_to_workers(cluster);
  auto c = cluster.connect();
  create_distributed(c, "pq_steps", kTypesColumns, "id");
  const std::string url = fixtures().dir + "/types_snappy_v1.parquet";
  CommandResult dry = pgload(cluster, "pq_steps", url, "--dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_EQ(check_against_csv(cluster, "pq_steps", "hashint8(id)").rows, 0);
  const CommandResult r = pgload(cluster, "pq_steps", url, "--checkpoint 1B");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Check k = check_against_csv(cluster, "pq_steps", "hashint8(id)");
  EXPECT_EQ(k.rows, kTypesRows);
  EXPECT_EQ(k.not_in_csv, 0);
  // One step per row group (4096 rows each): the run's record says 3 steps.
  EXPECT_EQ(c.scalar("SELECT step FROM pgload.resumable_runs WHERE table_name = 'public.pq_steps'").value_or("?"), "3");

  // Killed after its first step, then resumed: it continues at the second row group, every row loaded once.
  create_distributed(c, "pq_resume", kTypesColumns, "id");
  const CommandResult killed = run_pgload(
      cluster.conninfo(), "--table pq_resume --quiet --checkpoint 1B --url " + sh(url), "PGLOAD_FAULT=after_step:1");
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  EXPECT_EQ(check_against_csv(cluster, "pq_resume", "hashint8(id)").rows, 4096);
  const CommandResult resumed = pgload(cluster, "pq_resume", url, "--checkpoint 1B --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const Check again = check_against_csv(cluster, "pq_resume", "hashint8(id)");
  EXPECT_EQ(again.rows, kTypesRows);
  EXPECT_EQ(again.not_in_csv, 0);
}

TEST(ParquetTest, ValuesThatDoNotFitRejectTheirRowNamingRowGroupRowAndColumn) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  auto c = cluster.connect();
  create_distributed(c, "pq_bad", "id bigint, v integer, w integer", "id");
  const std::string url = fixtures().dir + "/bad_values.parquet";
  CommandResult r = pgload(cluster, "pq_bad", url);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("row group 1, row 3001, column v: value out of range for type integer"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("nothing was loaded"), std::string::npos) << r.output;
  int64_t rows = 0;
  for (const Placement& p : placements(c, "pq_bad"))
    rows += std::stoll(*cluster.connect_node(p.port).scalar("SELECT count(*) FROM " + p.shard));
  EXPECT_EQ(rows, 0);

  r = pgload(cluster, "pq_bad", url, "--max-errors 5");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  rows = 0;
  for (const Placement& p : placements(c, "pq_bad"))
    rows += std::stoll(*cluster.connect_node(p.port).scalar("SELECT count(*) FROM " + p.shard));
  EXPECT_EQ(rows, 4998);  // rows 3001 (v past int4) and 3003 (a string for w) rejected
}

// Rows a worker refuses (a CHECK the client does not know) are found by replaying the binary batch in parts; each
// reject entry names the row group and row as the client's own rejects do (the record itself stays in the file).
TEST(ParquetTest, RowsAWorkerRefusesAreRejectedNamingRowGroupAndRow) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  auto c = cluster.connect();
  create_distributed(c, "pq_refused", "id bigint, v bigint CHECK (v % 1000 <> 7), w text", "id");
  const std::string rejects = temp_dir("pgload-pq-refused") + "/rejects.txt";
  CommandResult r = pgload(cluster, "pq_refused", fixtures().dir + "/bad_values.parquet",
                           "--max-errors 5 --reject-file " + sh(rejects));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows_in_shards(cluster, "pq_refused"), 4995);
  // v = i for row i + 1 (rows count from 1, row groups of 2048 from 0): v % 1000 = 7 at i = 7, 1007, ... 4007.
  std::set<std::string> got;
  std::istringstream in(read_file(rejects));
  std::string line;
  const std::regex entry(
      R"(^# row group (\d+), row (\d+): shard \d+ on worker 127\.0\.0\.1:\d+ refused it: .*pq_refused_v_check)");
  while (std::getline(in, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, entry)) << line;
    got.insert(m[1].str() + "/" + m[2].str());
  }
  EXPECT_EQ(got, (std::set<std::string>{"0/8", "0/1008", "0/2008", "1/3008", "1/4008"}));
}

TEST(ParquetTest, MissingNullableColumnsAreNullAndNestedColumnsIntoOtherTypesAreRefusedByName) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  auto c = cluster.connect();
  create_distributed(c, "pq_missing", "id bigint, note text", "id");
  CommandResult r = pgload(cluster, "pq_missing", fixtures().dir + "/only_id.parquet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int64_t nulls = 0;
  for (const Placement& p : placements(c, "pq_missing"))
    nulls +=
        std::stoll(*cluster.connect_node(p.port).scalar("SELECT count(*) FROM " + p.shard + " WHERE note IS NULL"));
  EXPECT_EQ(nulls, 3);

  // A LIST into text, a struct into an array: refused before anything is sent, the column named.
  create_distributed(c, "pq_nested", "id bigint, tags text, st jsonb", "id");
  r = pgload(cluster, "pq_nested", fixtures().dir + "/nested.parquet");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("column \"tags\" is a nested Parquet column (LIST): it can go into a json, jsonb or array "
                          "column, not into text"),
            std::string::npos)
      << r.output;
  create_distributed(c, "pq_nested", "id bigint, tags bigint[], st integer[]", "id");
  r = pgload(cluster, "pq_nested", fixtures().dir + "/nested.parquet");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("column \"st\" is a nested Parquet column (struct), not a LIST of values: it can go into "
                          "a json or jsonb column, not into integer[]"),
            std::string::npos)
      << r.output;
  create_distributed(c, "pq_nested", "tags jsonb, id bigint", "tags");
  r = pgload(cluster, "pq_nested", fixtures().dir + "/nested.parquet", "--columns id,tags");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("column \"tags\" is a nested Parquet column (LIST): it cannot be the distribution column"),
            std::string::npos)
      << r.output;
  // --columns leaves them out.
  create_distributed(c, "pq_nested", "id bigint, tags text, st jsonb", "id");
  r = pgload(cluster, "pq_nested", fixtures().dir + "/nested.parquet", "--columns id");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// LIST, MAP and STRUCT columns written by DuckDB (NULL at every level, empty lists, lists across pages, three row
// groups, Parquet v1 and v2 pages): LISTs into PostgreSQL arrays (one and two dimensions) and everything into
// jsonb load what PostgreSQL's COPY loads from DuckDB's export of the same rows (array literals, to_json).
TEST(ParquetTest, NestedColumnsLoadIntoArraysAndJsonbAsPostgresCopiesDuckDbsExport) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  auto c = cluster.connect();
  const std::string arrays = "id bigint, li integer[], lt text[], ll integer[], m jsonb, st jsonb, ls jsonb";
  const std::string json = "id bigint, li jsonb, lt jsonb, ll jsonb, m jsonb, st jsonb, ls jsonb";
  constexpr int kRows = 5000;
  for (const char* file : {"nesting", "nesting_v2_zstd"}) {
    SCOPED_TRACE(file);
    copy_csv_to_workers(cluster, "nested_arrays", arrays);
    create_distributed(c, "pq_nested_arrays", arrays, "id");
    CommandResult r = pgload(cluster, "pq_nested_arrays", fixtures().dir + "/" + file + ".parquet");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    Check k = check_against_csv(cluster, "pq_nested_arrays", "hashint8(id)", "nested_arrays");
    EXPECT_EQ(k.rows, kRows);
    EXPECT_EQ(k.not_in_csv, 0);
    EXPECT_EQ(k.misplaced, 0);

    copy_csv_to_workers(cluster, "nested_json", json);
    create_distributed(c, "pq_nested_json", json, "id");
    r = pgload(cluster, "pq_nested_json", fixtures().dir + "/" + file + ".parquet");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    k = check_against_csv(cluster, "pq_nested_json", "hashint8(id)", "nested_json");
    EXPECT_EQ(k.rows, kRows);
    EXPECT_EQ(k.not_in_csv, 0);
    EXPECT_EQ(k.misplaced, 0);
  }
  // The comparison itself can fail: a few spot values, through the coordinator.
  EXPECT_EQ(in_shards(cluster, "pq_nested_arrays", "li::text", "id = 3"), "{3,NULL,-3}");
  EXPECT_EQ(in_shards(cluster, "pq_nested_arrays", "li::text", "id = 1"), "{}");
  EXPECT_EQ(in_shards(cluster, "pq_nested_arrays", "(li IS NULL)::text", "id = 0"), "true");
  EXPECT_EQ(in_shards(cluster, "pq_nested_arrays", "ll::text", "id = 2"), "{{2,NULL},{3,4},{NULL,NULL}}");
  EXPECT_EQ(in_shards(cluster, "pq_nested_arrays", "lt::text", "id = 3"),
            R"({"quote \" back \\ comma , {brace}","ünïcödé ☃ 3"})");
  EXPECT_EQ(in_shards(cluster, "pq_nested_json", "ls::text", "id = 3"),
            R"([{"k": 3, "v": ["x", null]}, {"k": null, "v": null}, {"k": -3, "v": []}])");
  EXPECT_EQ(in_shards(cluster, "pq_nested_json", "m->>'k2'", "id = 2"), "2");
}

// A list of lists a PostgreSQL array cannot hold rejects its row like any bad value: row group, row and column.
TEST(ParquetTest, RaggedListsIntoAnArrayRejectTheirRowNamingRowGroupRowAndColumn) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  auto c = cluster.connect();
  create_distributed(c, "pq_ragged", "id bigint, ll bigint[]", "id");
  const std::string url = fixtures().dir + "/ragged.parquet";
  CommandResult r = pgload(cluster, "pq_ragged", url);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("row group 1, row 3001, column ll: inner lists of different lengths"), std::string::npos)
      << r.output;
  EXPECT_EQ(rows_in_shards(cluster, "pq_ragged"), 0);
  const std::string rejects = fixtures().dir + "/ragged.rejects";
  r = pgload(cluster, "pq_ragged", url, "--max-errors 5 --reject-file " + sh(rejects));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string rejected = read_file(rejects);
  EXPECT_NE(rejected.find("row group 1, row 3001, column ll: inner lists of different lengths"), std::string::npos)
      << rejected;
  EXPECT_NE(rejected.find("row group 1, row 3002, column ll: a NULL inner list cannot go into a PostgreSQL array"),
            std::string::npos)
      << rejected;
  EXPECT_EQ(rows_in_shards(cluster, "pq_ragged"), 4998);
  EXPECT_EQ(in_shards(cluster, "pq_ragged", "ll::text", "id = 7"), "{{7,7}}");
}

// Over HTTP the footer and column chunks come by Range request (the .parquet name chooses the format); a server
// that answers a Range request with the whole file is refused.
TEST(ParquetTest, HttpRangeRequestsLoadTheSameRowsAndAServerWithoutRangeIsRefused) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  copy_csv_to_workers(cluster);
  auto c = cluster.connect();
  create_distributed(c, "pq_http", kTypesColumns, "id");
  const std::string path = fixtures().dir + "/types_zstd_v1.parquet";
  {
    ServeFile server("--file " + sh(path), fixtures().dir);
    const CommandResult r = pgload(cluster, "pq_http", server.url("types_zstd_v1.parquet"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const Check k = check_against_csv(cluster, "pq_http", "hashint8(id)");
  EXPECT_EQ(k.rows, kTypesRows);
  EXPECT_EQ(k.not_in_csv, 0);
  create_distributed(c, "pq_http", kTypesColumns, "id");
  ServeFile no_range("--file " + sh(path) + " --no-range", fixtures().dir);
  const CommandResult r = pgload(cluster, "pq_http", no_range.url("types_zstd_v1.parquet"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("does not support Range requests"), std::string::npos) << r.output;
  EXPECT_EQ(check_against_csv(cluster, "pq_http", "hashint8(id)").rows, 0);
}

// A copy of `from` with `edit` applied, written next to it.
std::string edited(const std::string& from, const std::string& name, const std::function<void(std::string&)>& edit) {
  std::string bytes = read_file(from);
  edit(bytes);
  const std::string path = fixtures().dir + "/" + name;
  write_file(path, bytes);
  return path;
}

TEST(ParquetTest, BadFilesFailNamingWhereAndLoadNothing) {
  REQUIRE_FIXTURES();
  TestCluster& cluster = TestCluster::shared();
  auto c = cluster.connect();
  create_distributed(c, "pq_broken", kTypesColumns, "id");
  const std::string good = fixtures().dir + "/types_snappy_v1.parquet";
  // Where the first page of row group 0's column `i8` starts, and its header.
  parquet::ParquetFile file(parquet::memory_access(read_file(good)), "good");
  const parquet::ColumnMeta& col = file.meta().row_groups[0].columns[1];
  const auto page =
      static_cast<size_t>(col.dictionary_page_offset && *col.dictionary_page_offset > 0 ? *col.dictionary_page_offset
                                                                                        : col.data_page_offset);

  struct Case {
    std::string name;
    std::function<void(std::string&)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"truncated.parquet", [](std::string& b) { b.resize(b.size() - 100); }, "no PAR1 magic"},
      {"magic.parquet", [](std::string& b) { b[0] = 'X'; }, "no PAR1 magic"},
      {"footer.parquet",
       [](std::string& b) {
         const uint32_t huge = 0x7ffffff0;
         std::memcpy(b.data() + b.size() - 8, &huge, 4);
       },
       "points past the start of the file"},
      {"cut.parquet",
       [](std::string& b) {
         // The data cut out, the footer kept: every column chunk now points past the file's data.
         uint32_t footer;
         std::memcpy(&footer, b.data() + b.size() - 8, 4);
         b = b.substr(0, 4) + b.substr(b.size() - 8 - footer);
       },
       "row group 0: column id: its chunk"},
      {"page.parquet",
       [page](std::string& b) {
         // The page header's uncompressed size (field 2, after the type) off by one: the page inflates to more
         // (as a decompression bomb would) or less than its header says.
         size_t pos = page + 1;
         while (static_cast<unsigned char>(b[pos]) & 0x80) ++pos;  // the type's varint
         pos += 2;                                                 // its last byte, field 2's header
         const auto v = static_cast<unsigned char>(b[pos]);
         b[pos] = static_cast<char>((v & 0x7f) >= 2 ? v - 2 : v + 2);
       },
       "row group 0, column i8, page 0: SNAPPY page inflates to"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    const std::string path = edited(good, k.name, k.edit);
    const CommandResult r = pgload(cluster, "pq_broken", path);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(path), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(k.message), std::string::npos) << r.output;
    EXPECT_EQ(check_against_csv(cluster, "pq_broken", "hashint8(id)").rows, 0);
  }
}

}  // namespace
}  // namespace pgload::test

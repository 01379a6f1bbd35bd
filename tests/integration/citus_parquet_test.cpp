// Real Citus (gated on PGLOAD_TEST_CITUS; CI has no Citus): a Parquet file written by DuckDB, loaded by pgload,
// equals Citus's own \copy of the same rows as CSV (EXCEPT ALL both ways through the coordinator), for tables
// distributed by a bigint, a varchar, a timestamptz and a numeric column, and every row lies in the shard Citus's
// get_shard_id_for_distribution_column names; and a file of LIST, MAP and STRUCT columns loaded into array and jsonb
// columns equals Citus's \copy of DuckDB's export of the same rows.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/citus_fixture.h"
#include "tests/support/files.h"
#include "tests/support/parquet_fixtures.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

class CitusParquetTest : public CitusCoordinatorTest {
 protected:
  void SetUp() override {
    CitusCoordinatorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (parquet_fixtures().dir.empty()) GTEST_SKIP() << parquet_fixtures().skip_reason;
  }

  void create(const std::string& name, const std::string& by) {
    coord_.run("DROP TABLE IF EXISTS " + name);
    coord_.run("CREATE TABLE " + name + " (" + kParquetTypesColumns + ")");
    coord_.run("SELECT create_distributed_table(" + quote_literal(name) + ", " + quote_literal(by) +
               ", shard_count := 32, colocate_with := 'none')");
  }

  // psql running `command` (a \copy, one line) from a script file: no shell quoting of the command.
  CommandResult psql(const std::string& command) {
    const std::string script = parquet_fixtures().dir + "/citus_copy.sql";
    std::ofstream(script) << command << "\n";
    return run_command("psql " + sh(conninfo_) + " -X -q -v ON_ERROR_STOP=1 -f " + sh(script) + " 2>&1");
  }
};

TEST_F(CitusParquetTest, ParquetLoadEqualsCitusCopyOfTheSameRowsAsCsv) {
  const std::string dir = parquet_fixtures().dir;
  for (const char* by : {"id", "hs", "tsz", "dec18"}) {
    SCOPED_TRACE(by);
    create("pgload_parquet_mine", by);
    create("pgload_parquet_citus", by);
    const CommandResult load =
        run_pgload(conninfo_, "--table pgload_parquet_mine --quiet --url " + sh(dir + "/types_zstd_v2.parquet"));
    ASSERT_EQ(load.exit_code, 0) << load.output;
    const CommandResult copy = psql("\\copy pgload_parquet_citus FROM '" + dir + "/types.csv' WITH CSV");
    ASSERT_EQ(copy.exit_code, 0) << copy.output;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload_parquet_mine"), std::to_string(kParquetTypesRows));
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM (SELECT * FROM pgload_parquet_mine EXCEPT ALL "
                             "SELECT * FROM pgload_parquet_citus) x"),
              "0");
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM (SELECT * FROM pgload_parquet_citus EXCEPT ALL "
                             "SELECT * FROM pgload_parquet_mine) x"),
              "0");
    EXPECT_EQ(misplaced_rows("pgload_parquet_mine"), 0);
  }
  coord_.run("DROP TABLE pgload_parquet_mine");
  coord_.run("DROP TABLE pgload_parquet_citus");
}

TEST_F(CitusParquetTest, NestedColumnsIntoArraysAndJsonbEqualCitusCopyOfDuckDbsExport) {
  const std::string dir = parquet_fixtures().dir;
  const std::string columns = "id bigint, li integer[], lt text[], ll integer[], m jsonb, st jsonb, ls jsonb";
  for (const char* name : {"pgload_parquet_nested_mine", "pgload_parquet_nested_citus"}) {
    coord_.run(std::string("DROP TABLE IF EXISTS ") + name);
    coord_.run(std::string("CREATE TABLE ") + name + " (" + columns + ")");
    coord_.run(std::string("SELECT create_distributed_table('") + name +
               "', 'id', shard_count := 32, colocate_with := 'none')");
  }
  const CommandResult load =
      run_pgload(conninfo_, "--table pgload_parquet_nested_mine --quiet --url " + sh(dir + "/nesting.parquet"));
  ASSERT_EQ(load.exit_code, 0) << load.output;
  const CommandResult copy = psql("\\copy pgload_parquet_nested_citus FROM '" + dir + "/nested_arrays.csv' WITH CSV");
  ASSERT_EQ(copy.exit_code, 0) << copy.output;
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload_parquet_nested_mine"), "5000");
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM (SELECT * FROM pgload_parquet_nested_mine EXCEPT ALL "
                           "SELECT * FROM pgload_parquet_nested_citus) x"),
            "0");
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM (SELECT * FROM pgload_parquet_nested_citus EXCEPT ALL "
                           "SELECT * FROM pgload_parquet_nested_mine) x"),
            "0");
  EXPECT_EQ(*coord_.scalar("SELECT ll::text FROM pgload_parquet_nested_mine WHERE id = 2"),
            "{{2,NULL},{3,4},{NULL,NULL}}");
  EXPECT_EQ(misplaced_rows("pgload_parquet_nested_mine"), 0);
  coord_.run("DROP TABLE pgload_parquet_nested_mine");
  coord_.run("DROP TABLE pgload_parquet_nested_citus");
}

}  // namespace
}  // namespace pgload::test

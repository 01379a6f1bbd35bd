// Real Citus (gated on PGLOAD_TEST_CITUS; CI has no Citus): a glob of 12 parts mixing .csv, .csv.gz and .csv.zst,
// with a header each, is one load that equals Citus's own \copy of the same rows through the coordinator (EXCEPT
// ALL both ways), with every row in the shard Citus names; a bad row in the 7th part is named by file and line and
// loads nothing; a checkpointed load killed mid-way resumes at the right file and loads every row exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/citus_fixture.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

constexpr int kParts = 12;
constexpr long long kPerPart = 20000;

class CitusManyInputsTest : public CitusCoordinatorTest {
 protected:
  void create(const std::string& name) {
    coord_.run("DROP TABLE IF EXISTS " + name);
    coord_.run("CREATE TABLE " + name + " (id bigint PRIMARY KEY, v text, n int)");
    coord_.run("SELECT create_distributed_table(" + quote_literal(name) +
               ", 'id', shard_count := 32, colocate_with := 'none')");
  }
  CommandResult pgload(const std::string& args, const std::string& env = "") {
    return run_pgload(conninfo_, args, env);
  }
  // Parts part-01..part-12 of ids 1..kParts*kPerPart (header "id,v,n"), 1, 5, 9 gzip, 2, 6, 10 zstd; and
  // all.csv, the same rows in one file without headers for Citus's \copy.
  std::string write_parts() {
    const std::string dir = temp_dir("pgload-citus-many");
    std::ofstream all(dir + "/all.csv");
    std::string compress;
    for (int p = 1; p <= kParts; ++p) {
      const std::string path = dir + "/part-" + (p < 10 ? "0" : "") + std::to_string(p) + ".csv";
      std::ofstream out(path);
      out << "id,v,n\n";
      for (long long id = (p - 1) * kPerPart + 1; id <= p * kPerPart; ++id) {
        const std::string row =
            std::to_string(id) + ",\"part " + std::to_string(p) + ", row\"," + std::to_string(id % 97) + "\n";
        out << row;
        all << row;
      }
      if (p % 4 == 1) compress += "gzip " + sh(path) + " && ";
      if (p % 4 == 2) compress += "zstd -q --rm " + sh(path) + " && ";
    }
    auto r = run_command(compress + "true");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return dir;
  }
};

TEST_F(CitusManyInputsTest, AGlobOfMixedPartsEqualsCitusCopyOfTheSameRows) {
  const std::string dir = write_parts();
  create("pgload_many_mine");
  create("pgload_many_citus");
  auto load = pgload("--url " + sh(dir + "/part-*") + " --table pgload_many_mine --header --json");
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_THAT(load.output, HasSubstr("\"rows\":" + std::to_string(kParts * kPerPart) + ","));
  const std::string script = dir + "/copy.sql";
  std::ofstream(script) << "\\copy pgload_many_citus FROM '" << dir << "/all.csv' WITH (FORMAT csv)\n";
  auto copy = run_command("psql " + sh(conninfo_) + " -X -q -v ON_ERROR_STOP=1 -f " + sh(script) + " 2>&1");
  ASSERT_EQ(copy.exit_code, 0) << copy.output;
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM (SELECT * FROM pgload_many_mine EXCEPT ALL "
                           "SELECT * FROM pgload_many_citus) d"),
            "0");
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM (SELECT * FROM pgload_many_citus EXCEPT ALL "
                           "SELECT * FROM pgload_many_mine) d"),
            "0");
  EXPECT_EQ(misplaced_rows("pgload_many_mine"), 0);
}

TEST_F(CitusManyInputsTest, ABadRowInTheSeventhPartLoadsNothingAndAKilledLoadResumesExactlyOnce) {
  const std::string dir = write_parts();
  create("pgload_many_bad");
  // part-07 is plain: its line 5 (ids 120001..) gets an id that is not a number.
  auto e = run_command("cp " + sh(dir + "/part-07.csv") + " " + sh(dir + "/bad.csv") +
                       " && sed -i '5s/^120004,/12x004,/' " + sh(dir + "/part-07.csv"));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  auto bad = pgload("--url " + sh(dir + "/part-*") + " --table pgload_many_bad --header");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr(dir + "/part-07.csv: line 5, column id, byte "));
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload_many_bad"), "0");
  auto fix = run_command("mv " + sh(dir + "/bad.csv") + " " + sh(dir + "/part-07.csv"));
  ASSERT_EQ(fix.exit_code, 0) << fix.output;

  create("pgload_many_resume");
  const std::string args = "--url " + sh(dir + "/part-*") + " --table pgload_many_resume --header --checkpoint 300kB";
  auto killed = pgload(args + " --quiet", "PGLOAD_FAULT=after_step:3");
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  auto resumed = pgload(args + " --resume --json");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("pgload: resuming at " + dir + "/part-"));
  const long long n = kParts * kPerPart;
  EXPECT_EQ(*coord_.scalar("SELECT count(*) || '/' || count(DISTINCT id) || '/' || sum(id) FROM pgload_many_resume"),
            std::to_string(n) + "/" + std::to_string(n) + "/" + std::to_string(n * (n + 1) / 2));
  EXPECT_EQ(misplaced_rows("pgload_many_resume"), 0);
  for (const char* t : {"pgload_many_mine", "pgload_many_citus", "pgload_many_bad", "pgload_many_resume"})
    coord_.run(std::string("DROP TABLE IF EXISTS ") + t);
}

}  // namespace
}  // namespace pgload::test

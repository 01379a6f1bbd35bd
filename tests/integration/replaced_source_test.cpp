// A file replaced on the web server (same size) between a dropped transfer and its resumption: pgload used to load
// the first file's start spliced onto the second file's end and exit 0. Now the resumed request proves it is the
// same file (If-Range, ETag, Last-Modified, total size) or the load fails with exit 4 and leaves the table as it was.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/files.h"
#include "tests/support/serve_file.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr int kRows = 200000;

struct Files {
  std::string dir, first, second;
  Files() {
    dir = temp_dir("pgload-replaced");
    first = dir + "/a.csv";
    second = dir + "/b.csv";
    std::ofstream a(first), b(second);
    // Same length line for line: ids 1..kRows in both, other text.
    for (int i = 1; i <= kRows; ++i) {
      a << i << ",first file row\n";
      b << i << ",other file row\n";
    }
  }
};

const Files& files() {
  static const Files f;
  return f;
}

CommandResult pgload(const std::string& args) { return run_pgload(TestCluster::shared().conninfo(), args); }

void create_table(const std::string& name) {
  auto c = TestCluster::shared().connect();
  c.run("DROP TABLE IF EXISTS " + name);
  c.run("CREATE TABLE " + name + " (id bigint PRIMARY KEY, v text)");
  c.run("SELECT create_distributed_table('" + name + "', 'id', colocate_with => 'none', shard_count => 4)");
  c.run("INSERT INTO " + name + " VALUES (-1, 'there before')");
}

std::string rows_of(const std::string& table) {
  return *TestCluster::shared().connect().scalar(
      "SELECT count(*) || '/' || count(*) FILTER (WHERE v = 'there "
      "before') FROM " +
      table);
}

TEST(ReplacedSource, FileReplacedBetweenDropAndRetryFailsWithExit4AndLoadsNothing) {
  create_table("replaced_src");
  ServeFile server("--file " + files().first + " --cut-after 1000000 --replace-after-cut " + files().second,
                   files().dir);
  const std::string url = server.url("a.csv?X-Signature=topsecret");
  auto r = pgload("--url " + sh(url) + " --table replaced_src");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find(server.url("a.csv?***") + " changed while it was being read"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nothing was loaded"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("topsecret"), std::string::npos) << r.output;
  EXPECT_EQ(rows_of("replaced_src"), "1/1");
}

TEST(ReplacedSource, ServerIgnoringIfRangeIsCaughtAndLoadsNothing) {
  create_table("replaced_src_broken");
  ServeFile server(
      "--file " + files().first + " --cut-after 1000000 --ignore-if-range --replace-after-cut " + files().second,
      files().dir);
  auto r = pgload("--url " + sh(server.url("a.csv")) + " --table replaced_src_broken");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("ETag was \""), std::string::npos) << r.output;
  EXPECT_EQ(rows_of("replaced_src_broken"), "1/1");
}

TEST(ReplacedSource, UnchangedFileAfterADropLoadsEveryRowOnce) {
  create_table("replaced_src_same");
  ServeFile server("--file " + files().first + " --cut-after 1000000", files().dir);
  auto r = pgload("--url " + sh(server.url("a.csv")) + " --table replaced_src_same");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*TestCluster::shared().connect().scalar(
                "SELECT count(*) FILTER (WHERE v = 'first file row') FROM replaced_src_same"),
            std::to_string(kRows));
}

// A checkpointed load of a URL whose query string is a token (an Azure SAS, a presigned S3 URL): the token is
// neither stored in pgload.resumable_runs nor shown by `pgload status`, and the resumed run, with a token issued
// anew, continues where the first stopped.
TEST(ReplacedSource, ATokenInTheQueryStringIsNeverStoredAndAFreshOneResumes) {
  create_table("replaced_src_token");
  ServeFile server("--file " + files().first, files().dir);
  auto killed = run_pgload(
      TestCluster::shared().conninfo(),
      "--url " + sh(server.url("a.csv") + "?sig=SECRET-ONE&se=2026") + " --table replaced_src_token --checkpoint 1MB",
      "PGLOAD_FAULT=after_step:1");
  ASSERT_NE(killed.exit_code, 0) << killed.output;
  auto c = TestCluster::shared().connect();
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM pgload.resumable_runs WHERE url LIKE '%SECRET%'"), "0");
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM pgload.resumable_runs WHERE url LIKE '%/a.csv?***'"), "1");
  auto status = pgload("status");
  EXPECT_EQ(status.output.find("SECRET"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("a.csv?***"), std::string::npos) << status.output;
  auto resumed = pgload("--url " + sh(server.url("a.csv") + "?sig=SECRET-TWO&se=2027") +
                        " --table replaced_src_token --checkpoint 1MB --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(resumed.output.find("SECRET"), std::string::npos) << resumed.output;
  EXPECT_EQ(rows_of("replaced_src_token"), std::to_string(kRows + 1) + "/1");
}

}  // namespace
}  // namespace pgload::test

// s3:// against a real S3-compatible server on loopback (s3rver from npm: it knows the access key S3RVER and refuses
// others, but does not verify SigV4 signatures, which tests/unit/aws_sigv4_test.cpp checks against AWS's worked
// examples): objects plain, gzip and zstd from two buckets load like local files; an unknown access key is the
// server's 403 and a missing key its 404, both exit 4 with the s3:// URL named and no secret shown; a listing of
// more than 1,000 keys follows the continuation tokens, and globs match within one path segment; a glob over more than
// 1,000 objects is one load, an object replaced between the listing and its reading is exit 4, and a Parquet object
// (DuckDB-written) is read by signed Range requests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <cstdlib>

#include <chrono>
#include <string>
#include <thread>

#include "common/pg.h"
#include "loader/s3_source.h"
#include "tests/support/files.h"
#include "tests/support/parquet_fixtures.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kRows = 20000;
constexpr int kManyKeys = 1005;  // more than one ListObjectsV2 page (1,000 keys)

class S3SourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (run_command("command -v node && command -v npm && command -v curl").exit_code != 0) return;
    dir_ = new std::string(temp_dir("pgload-s3"));
    const std::string src = std::string(PGLOAD_SOURCE_DIR) + "/tests/s3";
    const std::string js = *dir_ + "/js";
    auto npm = run_command("mkdir -p " + sh(js) + " && cp " + sh(src + "/package.json") + " " +
                           sh(src + "/package-lock.json") + " " + sh(src + "/s3_server.mjs") + " " + sh(js) +
                           " && cd " + sh(js) + " && timeout 300 npm ci --no-audit --no-fund --loglevel=error 2>&1");
    if (npm.exit_code != 0) {
      *setup_error_ = "npm ci failed: " + npm.output;
      return;
    }
    port_ = free_port_range(1);
    // s3rver encrypts its continuation tokens with DES, which Node 20's OpenSSL 3 has only in its legacy provider.
    run_command("cd " + sh(js) + " && { nohup node --openssl-legacy-provider s3_server.mjs " + std::to_string(port_) +
                " " + sh(*dir_ + "/store") + " exports other > " + sh(*dir_ + "/s3.log") + " 2>&1 & echo $! > " +
                sh(*dir_ + "/s3.pid") + "; }");
    for (int i = 0; i < 200 && !up_; ++i) {
      up_ = run_command("grep -q listening " + sh(*dir_ + "/s3.log")).exit_code == 0;
      if (!up_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!up_) *setup_error_ = "the S3 server did not start: " + read_file(*dir_ + "/s3.log");
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) run_command("kill $(cat " + sh(*dir_ + "/s3.pid") + ") 2>/dev/null");
  }
  void SetUp() override {
    if (dir_ == nullptr) GTEST_SKIP() << "no node, npm or curl (scripts/install-deps installs them)";
    ASSERT_TRUE(up_) << *setup_error_;
  }

  static std::string endpoint() { return "http://127.0.0.1:" + std::to_string(port_); }
  // Uploads `file` to bucket/key (curl's [a-b] URL ranges upload it to each key of the range).
  static void put(const std::string& file, const std::string& bucket_key) {
    auto r = run_command("curl -sf -T " + sh(file) + " " + sh(endpoint() + "/" + bucket_key) + " -o /dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static CommandResult pgload(const std::string& env, const std::string& args) {
    return run_pgload(TestCluster::shared().conninfo(), "--s3-endpoint " + endpoint() + " " + args, env);
  }

  static std::string* dir_;
  static std::string* setup_error_;
  static int port_;
  static bool up_;
};
std::string* S3SourceTest::dir_ = nullptr;
std::string* S3SourceTest::setup_error_ = new std::string();
int S3SourceTest::port_ = 0;
bool S3SourceTest::up_ = false;

constexpr const char* kKeys =
    "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_SHARED_CREDENTIALS_FILE=/nonexistent";

TEST_F(S3SourceTest, ObjectsPlainGzipAndZstdFromTwoBucketsLoadEveryRow) {
  const std::string csv = *dir_ + "/users.csv";
  auto g = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kRows) + " --out " + sh(csv) +
                       " && gzip -kf " + sh(csv) + " && zstd -qf " + sh(csv));
  ASSERT_EQ(g.exit_code, 0) << g.output;
  put(csv, "exports/2026-12-04/users.csv");
  put(csv + ".gz", "exports/2026-12-04/users.csv.gz");
  put(csv + ".zst", "other/users%20copy.csv.zst");  // a key with a space: signed as S3 encodes it
  auto c = TestCluster::shared().connect();
  c.run("CREATE TABLE s3_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  c.run("SELECT create_distributed_table('s3_users', 'user_id', colocate_with => 'none', shard_count => 4)");
  for (const std::string url :
       {"s3://exports/2026-12-04/users.csv", "s3://exports/2026-12-04/users.csv.gz", "s3://other/users copy.csv.zst"}) {
    c.run("TRUNCATE s3_users");
    auto r = pgload(kKeys, "--url " + sh(url) + " --table s3_users --quiet");
    ASSERT_EQ(r.exit_code, 0) << url << ": " << r.output;
    EXPECT_EQ(*c.scalar("SELECT count(*) FROM s3_users"), std::to_string(kRows)) << url;
  }
}

TEST_F(S3SourceTest, AParquetObjectIsReadByRangeRequestsAndAMissingOneIsNamed) {
  const ParquetFixtures& fx = parquet_fixtures();
  if (fx.dir.empty()) GTEST_SKIP() << fx.skip_reason;
  put(fx.dir + "/types_zstd_v1.parquet", "exports/pq/types.parquet");
  auto c = TestCluster::shared().connect();
  c.run(std::string("CREATE TABLE s3_types (") + kParquetTypesColumns + ")");
  c.run("SELECT create_distributed_table('s3_types', 'id', colocate_with => 'none', shard_count => 4)");
  auto r = pgload(kKeys, "--url s3://exports/pq/types.parquet --table s3_types --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM s3_types"), std::to_string(kParquetTypesRows));
  auto missing = pgload(kKeys, "--url s3://exports/pq/none.parquet --table s3_types");
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("s3://exports/pq/none.parquet"));
  EXPECT_THAT(missing.output, HasSubstr("404"));
}

TEST_F(S3SourceTest, AnUnknownAccessKeyIsTheServers403AndAMissingKeyIts404BothExit4) {
  const std::string one = *dir_ + "/one.csv";
  write_file(one, "1,a,b,c\n");
  put(one, "exports/one.csv");
  auto c = TestCluster::shared().connect();
  c.run("CREATE TABLE s3_one (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  c.run("SELECT create_distributed_table('s3_one', 'user_id', colocate_with => 'none', shard_count => 2)");
  auto denied = pgload(
      "AWS_ACCESS_KEY_ID=NOBODY AWS_SECRET_ACCESS_KEY=not-the-secret-XYZ "
      "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
      "--url s3://exports/one.csv --table s3_one");
  EXPECT_EQ(denied.exit_code, 4) << denied.output;
  EXPECT_THAT(denied.output, HasSubstr("s3://exports/one.csv"));
  EXPECT_THAT(denied.output, HasSubstr("403"));
  EXPECT_THAT(denied.output, Not(HasSubstr("not-the-secret-XYZ")));
  auto missing = pgload(kKeys, "--url s3://exports/no-such.csv --table s3_one");
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("404"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM s3_one"), "0");
  auto good = pgload(kKeys, "--url s3://exports/one.csv --table s3_one --quiet");
  EXPECT_EQ(good.exit_code, 0) << good.output;
}

TEST_F(S3SourceTest, ListingFollowsContinuationTokensAndGlobsStayInOneSegment) {
  const std::string small = *dir_ + "/small.csv";
  write_file(small, "1,a,b,c\n");
  put(small, "exports/many/part-[0000-" + std::to_string(kManyKeys - 1) + "].csv");
  put(small, "exports/many/sub/part-0000.csv");
  setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  SourceOptions o;
  o.s3_endpoint = endpoint();
  auto all = list_s3_objects("s3://exports/many/part-*.csv", o);
  ASSERT_EQ(all.size(), static_cast<size_t>(kManyKeys));
  EXPECT_EQ(all.front().url, "s3://exports/many/part-0000.csv");
  EXPECT_EQ(all.back().url, "s3://exports/many/part-1004.csv");
  EXPECT_EQ(all.front().size, 8u);
  EXPECT_FALSE(all.front().etag.empty());
  EXPECT_EQ(list_s3_objects("s3://exports/many/part-100?.csv", o).size(), 5u);
  EXPECT_EQ(list_s3_objects("s3://exports/many/*/part-*.csv", o).size(), 1u);
  EXPECT_EQ(list_s3_objects("s3://exports/many/part-0001.csv", o).size(), 1u);
  EXPECT_TRUE(list_s3_objects("s3://other/nothing-*.csv", o).empty());
  setenv("AWS_ACCESS_KEY_ID", "NOBODY", 1);
  try {
    list_s3_objects("s3://exports/many/part-*.csv", o);
    ADD_FAILURE() << "a listing with an unknown access key was not refused";
  } catch (const SourceError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("HTTP 403 InvalidAccessKeyId"));
  }
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
}

TEST_F(S3SourceTest, AGlobOverMoreThanAThousandObjectsIsOneLoadWithARowPerFile) {
  const std::string small = *dir_ + "/row.csv";
  write_file(small, "7,a,b,c\n");
  put(small, "exports/parts/part-[0000-" + std::to_string(kManyKeys - 1) + "].csv");
  auto c = TestCluster::shared().connect();
  // No primary key: every object holds the same row.
  c.run("CREATE TABLE s3_parts (user_id bigint, url text, login text, avatar_url text)");
  c.run("SELECT create_distributed_table('s3_parts', 'user_id', colocate_with => 'none', shard_count => 2)");
  auto r = pgload(kKeys, "--url 's3://exports/parts/part-*.csv' --table s3_parts --json --parallel-files 16");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM s3_parts"), std::to_string(kManyKeys));
  EXPECT_THAT(r.output, HasSubstr("{\"url\":\"s3://exports/parts/part-0000.csv\",\"rows\":1,\"bytes\":8}"));
  EXPECT_THAT(r.output, HasSubstr("{\"url\":\"s3://exports/parts/part-1004.csv\",\"rows\":1,\"bytes\":8}"));
  // s3://bucket/prefix/ is the objects right under the prefix, as a directory is its files.
  c.run("TRUNCATE s3_parts");
  auto dir = pgload(kKeys, "--url s3://exports/parts/ --table s3_parts --quiet --parallel-files 16");
  ASSERT_EQ(dir.exit_code, 0) << dir.output;
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM s3_parts"), std::to_string(kManyKeys));
  auto none = pgload(kKeys, "--url 's3://exports/parts/nothing-*.csv' --table s3_parts");
  EXPECT_EQ(none.exit_code, 4) << none.output;
  EXPECT_THAT(none.output, HasSubstr("no object matches s3://exports/parts/nothing-*.csv"));
}

TEST_F(S3SourceTest, AnObjectReplacedBetweenListingAndReadingIsExit4AndNothingIsLoaded) {
  for (int i = 1; i <= 3; ++i) {
    const std::string part = *dir_ + "/swap-" + std::to_string(i) + ".csv";
    write_file(part, std::to_string(i) + ",a,b,c\n");
    put(part, "exports/swap/part-" + std::to_string(i) + ".csv");
  }
  auto c = TestCluster::shared().connect();
  c.run("CREATE TABLE s3_swap (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  c.run("SELECT create_distributed_table('s3_swap', 'user_id', colocate_with => 'none', shard_count => 2)");
  const std::string go = *dir_ + "/swap-go", log = *dir_ + "/swap.log";
  run_command("(" +
              pgload_command(TestCluster::shared().conninfo(),
                             "--s3-endpoint " + endpoint() + " --url 's3://exports/swap/part-*.csv' --table s3_swap",
                             std::string(kKeys) + " PGLOAD_TEST_HOLD_FILES=" + sh(go)) +
              " > " + sh(log) + " 2>&1; echo exit=$? >> " + sh(log) + ") > /dev/null 2>&1 &");
  auto held = run_command("for i in $(seq 300); do grep -q 'test hold' " + sh(log) +
                          " 2>/dev/null && exit 0; sleep 0.1; done; exit 1");
  ASSERT_EQ(held.exit_code, 0) << read_file(log);
  const std::string other = *dir_ + "/swap-other.csv";
  write_file(other, "2,other,b,c\n");  // same key, another ETag
  put(other, "exports/swap/part-2.csv");
  write_file(go, "");
  auto done =
      run_command("for i in $(seq 600); do grep -q '^exit=' " + sh(log) + " && exit 0; sleep 0.1; done; exit 1");
  ASSERT_EQ(done.exit_code, 0) << read_file(log);
  const std::string out = read_file(log);
  EXPECT_THAT(out, HasSubstr("exit=4"));
  EXPECT_THAT(out, HasSubstr("s3://exports/swap/part-2.csv changed since it was listed (ETag was \""));
  EXPECT_THAT(out, HasSubstr("nothing was loaded"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM s3_swap"), "0");
}

}  // namespace
}  // namespace pgload::test

// --citus-native on pgmove's command line, and the ETA helpers of the progress display (no cluster needed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/progress.h"
#include "mover/cli/cli.h"

namespace pgload {
namespace {

CliOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "pgmove");
  return parse_cli(static_cast<int>(args.size()), args.data());
}

TEST(CitusPathCli, CitusNativeAppliesToMovesOnly) {
  EXPECT_FALSE(parse({"rebalance"}).citus_native);
  EXPECT_TRUE(parse({"rebalance", "--citus-native"}).citus_native);
  EXPECT_TRUE(parse({"--citus-native", "move", "102008", "--to", "h:5432"}).citus_native);
  EXPECT_TRUE(parse({"drain", "h:5432", "--citus-native"}).citus_native);
  EXPECT_THROW(parse({"status", "--citus-native"}), UsageError);
  EXPECT_NE(usage_text().find("--citus-native"), std::string::npos);
}

TEST(ProgressEta, FromTheMeasuredRate) {
  EXPECT_LT(eta_seconds(0, 100, 5), 0);  // nothing done yet: no rate
  EXPECT_LT(eta_seconds(10, 100, 0), 0);
  EXPECT_DOUBLE_EQ(eta_seconds(50, 150, 10), 30);  // 5 bytes/s, 150 left
  EXPECT_DOUBLE_EQ(eta_seconds(50, 0, 10), 0);
  EXPECT_EQ(format_eta(-1), "?");
  EXPECT_EQ(format_eta(12.4), "12s");
  EXPECT_EQ(format_eta(245), "4m05s");
  EXPECT_EQ(format_eta(3720), "1h02m");
}

TEST(ProgressEta, UtcTimestampIsIso8601) {
  std::string t = utc_timestamp();
  ASSERT_EQ(t.size(), 24u) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t[19], '.');
  EXPECT_EQ(t.back(), 'Z');
}

}  // namespace
}  // namespace pgload

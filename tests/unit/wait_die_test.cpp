// The order wait-die decides by: a load's age travels in its worker sessions' application_name, and only pgload's
// exact form is read back (any other session is never taken for a load).
#include <gtest/gtest.h>

#include <string>

#include "loader/wait_die.h"

namespace pgload {
namespace {

TEST(WaitDie, ApplicationNameRoundTrips) {
  LoadAge age{1764892800123456, "0123456789abcdef"};
  EXPECT_EQ(load_application_name(age), "pgload 0123456789abcdef 1764892800123456");
  auto back = parse_load_application_name(load_application_name(age));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->started_us, age.started_us);
  EXPECT_EQ(back->run_id, age.run_id);
  EXPECT_LE(load_application_name(LoadAge{INT64_MAX, "ffffffffffffffff"}).size(), 63u) << "fits application_name";
}

TEST(WaitDie, OtherSessionsAreNotLoads) {
  for (const char* name :
       {"pgload", "pgload recover", "pgload watch", "pgload shard lock", "pgmove", "", "pgload 0123456789abcdef",
        "pgload 0123456789abcdef x", "pgload XYZ 12", "pgload  12", "pgload 0123456789abcdef 12 extra", "psql"})
    EXPECT_FALSE(parse_load_application_name(name)) << name;
}

TEST(WaitDie, OlderIsEarlierStartThenSmallerRunId) {
  const LoadAge a{100, "00000000000000ff"}, b{200, "0000000000000001"}, c{100, "0000000000000fff"};
  EXPECT_TRUE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_TRUE(a < c) << "same start: the run id decides";
  EXPECT_FALSE(c < a);
  EXPECT_FALSE(a < a);
}

}  // namespace
}  // namespace pgload

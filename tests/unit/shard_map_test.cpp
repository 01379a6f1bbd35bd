// ShardMap against Citus's rules: uniform ranges use arithmetic, anything else binary search; both must agree with
// a plain linear scan of the ranges, at the int32 boundaries and at every shard edge.
#include "common/shard_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <vector>

namespace pgload {
namespace {

// The obviously-correct answer: the first range that holds the hash.
int linear_index(const ShardMap& map, int32_t hash) {
  const auto& r = map.ranges();
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i].min_value <= hash && hash <= r[i].max_value) return static_cast<int>(i);
  return -1;
}

void expect_matches_linear_scan(const ShardMap& map) {
  std::vector<int32_t> probes = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX};
  for (const auto& r : map.ranges()) {
    for (int64_t p : {int64_t{r.min_value} - 1, int64_t{r.min_value}, int64_t{r.min_value} + 1,
                      int64_t{r.max_value} - 1, int64_t{r.max_value}, int64_t{r.max_value} + 1})
      if (p >= INT32_MIN && p <= INT32_MAX) probes.push_back(static_cast<int32_t>(p));
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) probes.push_back(static_cast<int32_t>(rng()));
  for (int32_t h : probes) ASSERT_EQ(map.index_of(h), linear_index(map, h)) << "hash " << h;
}

TEST(ShardMap, UniformCountsCoverEveryHash) {
  for (int count : {1, 2, 3, 7, 32, 64, 1000}) {
    SCOPED_TRACE(count);
    const ShardMap map(ShardMap::uniform_ranges(count, 500));
    ASSERT_TRUE(map.uniform());
    ASSERT_EQ(map.ranges().size(), static_cast<size_t>(count));
    EXPECT_EQ(map.ranges().front().min_value, INT32_MIN);
    EXPECT_EQ(map.ranges().back().max_value, INT32_MAX);
    for (size_t i = 1; i < map.ranges().size(); ++i)
      EXPECT_EQ(int64_t{map.ranges()[i - 1].max_value} + 1, map.ranges()[i].min_value);  // no gaps
    EXPECT_EQ(map.index_of(INT32_MIN), 0);
    EXPECT_EQ(map.index_of(INT32_MAX), count - 1);
    expect_matches_linear_scan(map);
  }
}

TEST(ShardMap, SevenShardsLastIsWider) {
  // 2^32 / 7 = 613566756 leaves 4 hashes over; Citus gives them to the last shard (index == count clamps).
  const auto ranges = ShardMap::uniform_ranges(7, 1);
  EXPECT_EQ(ranges[0].min_value, INT32_MIN);
  EXPECT_EQ(ranges[0].max_value, INT32_MIN + 613566756 - 1);
  EXPECT_EQ(ranges[6].min_value, int64_t{INT32_MIN} + 6 * int64_t{613566756});
  EXPECT_EQ(ranges[6].max_value, INT32_MAX);
  const ShardMap map(ranges);
  ASSERT_TRUE(map.uniform());
  EXPECT_EQ(map.index_of(INT32_MAX), 6);
  EXPECT_EQ(map.index_of(INT32_MAX - 3), 6);  // (h - INT32_MIN) / increment == 7 here
  EXPECT_EQ(map.index_of(ranges[6].min_value), 6);
  EXPECT_EQ(map.index_of(ranges[6].min_value - 1), 5);
}

TEST(ShardMap, ThirtyTwoShardsLikeCitus) {
  const ShardMap map(ShardMap::uniform_ranges(32, 102008));
  ASSERT_TRUE(map.uniform());
  EXPECT_EQ(map.ranges()[15].shard_id, 102023);
  EXPECT_EQ(map.ranges()[15].min_value, -134217728);
  EXPECT_EQ(map.ranges()[15].max_value, -1);
  EXPECT_EQ(map.index_of(-1), 15);
  EXPECT_EQ(map.index_of(0), 16);
  EXPECT_EQ(map.index_of(-272711505), 13);  // hashint8(0) -> shard 102021 in hash_vectors.csv
}

TEST(ShardMap, SixtyFourShards) {
  const ShardMap map(ShardMap::uniform_ranges(64, 1));
  ASSERT_TRUE(map.uniform());
  EXPECT_EQ(map.ranges()[1].min_value, INT32_MIN + (1 << 26));
  EXPECT_EQ(map.index_of(INT32_MIN + (1 << 26) - 1), 0);
  EXPECT_EQ(map.index_of(INT32_MIN + (1 << 26)), 1);
  EXPECT_EQ(map.index_of(0), 32);
}

TEST(ShardMap, SingleShardTakesEverything) {
  const ShardMap map(ShardMap::uniform_ranges(1, 9));
  ASSERT_TRUE(map.uniform());
  EXPECT_EQ(map.ranges()[0].min_value, INT32_MIN);
  EXPECT_EQ(map.ranges()[0].max_value, INT32_MAX);
  for (int32_t h : {INT32_MIN, -1, 0, INT32_MAX}) EXPECT_EQ(map.index_of(h), 0);
}

TEST(ShardMap, SortsInputAndKeepsShardIds) {
  auto ranges = ShardMap::uniform_ranges(32, 102008);
  std::mt19937 rng(3);
  std::shuffle(ranges.begin(), ranges.end(), rng);
  const ShardMap map(ranges);
  ASSERT_TRUE(map.uniform());
  for (size_t i = 0; i < map.ranges().size(); ++i) EXPECT_EQ(map.ranges()[i].shard_id, 102008 + int64_t(i));
}

TEST(ShardMap, UnevenRangesUseBinarySearch) {
  // Three shards of uneven width covering everything (e.g. after a split): not what Citus creates, so not uniform.
  const ShardMap map({{30, 1000, INT32_MAX}, {10, INT32_MIN, -5}, {20, -4, 999}});
  ASSERT_FALSE(map.uniform());
  EXPECT_EQ(map.ranges()[0].shard_id, 10);
  EXPECT_EQ(map.ranges()[1].shard_id, 20);
  EXPECT_EQ(map.ranges()[2].shard_id, 30);
  EXPECT_EQ(map.index_of(INT32_MIN), 0);
  EXPECT_EQ(map.index_of(-5), 0);
  EXPECT_EQ(map.index_of(-4), 1);
  EXPECT_EQ(map.index_of(999), 1);
  EXPECT_EQ(map.index_of(1000), 2);
  EXPECT_EQ(map.index_of(INT32_MAX), 2);
  expect_matches_linear_scan(map);
}

TEST(ShardMap, GapsMapToMinusOne) {
  const ShardMap map({{1, -100, -10}, {2, 0, 0}, {3, 50, 60}});
  ASSERT_FALSE(map.uniform());
  EXPECT_EQ(map.index_of(INT32_MIN), -1);
  EXPECT_EQ(map.index_of(-101), -1);
  EXPECT_EQ(map.index_of(-100), 0);
  EXPECT_EQ(map.index_of(-10), 0);
  EXPECT_EQ(map.index_of(-9), -1);
  EXPECT_EQ(map.index_of(0), 1);
  EXPECT_EQ(map.index_of(1), -1);
  EXPECT_EQ(map.index_of(55), 2);
  EXPECT_EQ(map.index_of(61), -1);
  EXPECT_EQ(map.index_of(INT32_MAX), -1);
  expect_matches_linear_scan(map);
}

TEST(ShardMap, AlmostUniformIsNotUniform) {
  // A single bound off by one breaks HasUniformHashDistribution; lookups must still be right (binary search).
  auto ranges = ShardMap::uniform_ranges(32, 1);
  ranges[9].max_value -= 1;
  ranges[10].min_value -= 1;
  const ShardMap map(ranges);
  EXPECT_FALSE(map.uniform());
  EXPECT_EQ(map.index_of(ranges[10].min_value), 10);
  expect_matches_linear_scan(map);

  // A full-coverage layout with uniform widths but the last shard not ending at INT32_MAX is also not uniform.
  auto short_last = ShardMap::uniform_ranges(4, 1);
  short_last[3].max_value = INT32_MAX - 1;
  EXPECT_FALSE(ShardMap(short_last).uniform());
}

TEST(ShardMap, RandomLayoutsAgreeWithLinearScan) {
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    // Random sorted cut points; every other interval left out as a gap half of the time.
    const int cuts = 1 + static_cast<int>(rng() % 20);
    std::vector<int64_t> points;
    for (int i = 0; i < cuts * 2; ++i) points.push_back(static_cast<int32_t>(rng()));
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    std::vector<ShardRange> ranges;
    for (size_t i = 0; i + 1 < points.size(); i += (rng() % 2) ? 1 : 2)
      ranges.push_back(ShardRange{static_cast<int64_t>(i), static_cast<int32_t>(points[i]),
                                  static_cast<int32_t>(points[i + 1] - 1)});
    const ShardMap map(ranges);
    expect_matches_linear_scan(map);
  }
}

TEST(ShardMap, RejectsOverlapAndInvertedRanges) {
  EXPECT_THROW(ShardMap({{1, 0, 10}, {2, 10, 20}}), std::invalid_argument);
  EXPECT_THROW(ShardMap({{1, 0, 10}, {2, 5, 6}}), std::invalid_argument);
  EXPECT_THROW(ShardMap({{1, 0, 10}, {2, 0, 10}}), std::invalid_argument);
  EXPECT_THROW(ShardMap({{1, 10, 0}}), std::invalid_argument);
  EXPECT_NO_THROW(ShardMap({{1, 0, 10}, {2, 11, 20}}));
  EXPECT_THROW(ShardMap::uniform_ranges(0, 1), std::invalid_argument);
}

TEST(ShardMap, EmptyMapFindsNothing) {
  const ShardMap map({});
  EXPECT_FALSE(map.uniform());
  EXPECT_EQ(map.index_of(0), -1);
  EXPECT_EQ(map.index_of(INT32_MIN), -1);
}

}  // namespace
}  // namespace pgload

// Shard names against what Citus itself named shards (tests/golden/citus/shard_names.csv): short names, names at
// and over the 63-byte limit, long shard ids, and UTF-8 names whose clip must not split a character.
#include "common/shard_name.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/catalog.h"

namespace pgload {
namespace {

struct Vector {
  std::string source, name, expected;
  int64_t shard_id = 0;
};

// The file has no quoted fields: names hold no commas.
std::vector<Vector> read_vectors() {
  std::ifstream in(std::string(PGLOAD_REFERENCE_DIR) + "/shard_names.csv");
  EXPECT_TRUE(in.good()) << "cannot open shard_names.csv";
  std::vector<Vector> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    size_t at = 0;
    for (size_t comma; (comma = line.find(',', at)) != std::string::npos; at = comma + 1)
      f.push_back(line.substr(at, comma - at));
    f.push_back(line.substr(at));
    EXPECT_EQ(f.size(), 4u) << line;
    if (f.size() != 4) continue;
    out.push_back({f[0], f[1], f[3], std::stoll(f[2])});
  }
  return out;
}

TEST(ShardName, MatchesCitusAndTheRuleOnEveryGoldenVector) {
  const auto vectors = read_vectors();
  ASSERT_GE(vectors.size(), 18u);
  int from_citus = 0;
  for (const auto& v : vectors) {
    EXPECT_EQ(citus_shard_name(v.name, v.shard_id), v.expected) << v.source << ": " << v.name << " " << v.shard_id;
    EXPECT_LE(v.expected.size(), kNameDataLen - 1) << v.expected;
    from_citus += v.source == "citus_regress";
  }
  EXPECT_GE(from_citus, 8);
}

TEST(ShardName, ExactlyAtTheLimitIsKeptAndOneByteMoreIsHashed) {
  const std::string at_limit(56, 'a');  // + "_102008" = 63 bytes
  EXPECT_EQ(citus_shard_name(at_limit, 102008), at_limit + "_102008");
  const std::string over = at_limit + "a";
  const std::string shortened = citus_shard_name(over, 102008);
  EXPECT_EQ(shortened.size(), 63u);
  EXPECT_EQ(shortened.substr(0, 47), std::string(47, 'a'));
  EXPECT_EQ(shortened.substr(47, 1), "_");
  EXPECT_EQ(shortened.substr(56), "_102008");
}

TEST(ShardName, ClipNeverSplitsAUtf8Character) {
  // 46 ASCII bytes then 2-byte characters: the 47-byte budget ends inside the first 'é', which is left out whole.
  const std::string name = std::string(46, 'z') + "ééééééé";
  const std::string shortened = citus_shard_name(name, 102008);
  EXPECT_EQ(shortened.substr(0, 47), std::string(46, 'z') + "_");
}

TEST(ShardName, LongTableNameGivesDistinctShardRelationsAndQuotesThem) {
  Table t;
  t.schema = "public";
  t.name = "events_" + std::string(53, 'x');  // 60 characters, as in the report that found this
  EXPECT_NE(t.shard_name(102008), t.name + "_102008");
  EXPECT_NE(t.shard_name(102008), t.shard_name(102009));
  EXPECT_EQ(t.shard_relation(102039), "\"public\".\"events_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_c9ed133c_102039\"");
}

}  // namespace
}  // namespace pgload

// The planner against Citus's own plan (checked-in reference output) and hand-computed layouts; no database.
#include "mover/plan/planner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "common/byte_size.h"
#include "mover/cli/cli.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(' ');
  size_t e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Rows of a psql table (`a | b | c`) between the dashed header rule and "(N rows)".
std::vector<PlacementUpdate> read_reference_plan(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<PlacementUpdate> rows;
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("---", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("(", 0) == 0) break;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '|')) cols.push_back(trim(c));
    if (cols.size() != 7) continue;
    rows.push_back(
        {cols[0], std::stoll(cols[1]), std::stoll(cols[2]), cols[3], std::stoi(cols[4]), cols[5], std::stoi(cols[6])});
  }
  return rows;
}

// by_disk_size as Citus's own regression tests run it (citus.rebalancer_by_disk_size_base_cost = 0), so that the
// hand-computed layouts below weigh shards by their bytes alone.
Strategy by_disk_size_no_base() {
  Strategy s = by_disk_size_strategy();
  s.base_cost_bytes = 0;
  return s;
}

std::vector<PlannerNode> three_workers() {
  return {
      {1, "127.0.0.1", 9701, true, 1.0, 2}, {2, "127.0.0.1", 9702, true, 1.0, 3}, {3, "127.0.0.1", 9703, true, 1.0, 4}};
}

// payment_users as create_distributed_table left it: 32 shards from 102008, alternating groups 1 and 2.
std::vector<PlannerShard> payment_users_fresh() {
  std::vector<PlannerShard> shards;
  for (int i = 0; i < 32; ++i) shards.push_back({102008 + i, "payment_users", 16384, i % 2 == 0 ? 1 : 2, 1, i});
  return shards;
}

// Applies moves (unit moves: every shard of the same colocation id and index follows) to a layout.
void apply(std::vector<PlannerShard>& shards, const std::vector<PlannerNode>& nodes,
           const std::vector<PlacementUpdate>& moves) {
  for (const auto& m : moves) {
    int32_t target = -1;
    for (const auto& n : nodes)
      if (n.host == m.target_host && n.port == m.target_port) target = n.group_id;
    ASSERT_GE(target, 0);
    const PlannerShard* moved = nullptr;
    for (const auto& s : shards)
      if (s.shard_id == m.shard_id) moved = &s;
    ASSERT_NE(moved, nullptr);
    int32_t colocation = moved->colocation_id;
    int index = moved->shard_index;
    for (auto& s : shards)
      if (s.colocation_id == colocation && s.shard_index == index) s.group_id = target;
  }
}

std::map<int32_t, int64_t> bytes_per_group(const std::vector<PlannerShard>& shards,
                                           const std::vector<PlannerNode>& nodes) {
  std::map<int32_t, int64_t> out;
  for (const auto& n : nodes) out[n.group_id] = 0;
  for (const auto& s : shards) out[s.group_id] += s.cost_bytes;
  return out;
}

std::map<int32_t, int> count_per_group(const std::vector<PlannerShard>& shards, const std::vector<PlannerNode>& nodes) {
  std::map<int32_t, int> out;
  for (const auto& n : nodes) out[n.group_id] = 0;
  for (const auto& s : shards) out[s.group_id]++;
  return out;
}

TEST(Planner, ReproducesCitusPlanByShardCountTwoToThreeWorkers) {
  auto expected = read_reference_plan(test::reference_path("plan_by_shard_count_2_to_3_workers.txt"));
  ASSERT_EQ(expected.size(), 10u);
  auto rows =
      plan_rebalance(three_workers(), payment_users_fresh(), by_shard_count_strategy(), std::nullopt, std::nullopt);
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i], expected[i]) << "row " << i << " shard " << rows[i].shard_id;
}

TEST(Planner, ReferencePlanEndsElevenElevenTen) {
  auto nodes = three_workers();
  auto shards = payment_users_fresh();
  auto plan = compute_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt);
  ASSERT_EQ(plan.moves.size(), plan.rows.size());  // one table: one row per move
  for (size_t i = 0; i < plan.moves.size(); ++i) {
    EXPECT_EQ(plan.moves[i].shard_id, plan.rows[i].shard_id);
    EXPECT_EQ(plan.moves[i].target_port, plan.rows[i].target_port);
    EXPECT_EQ(plan.moves[i].shard_size, 16384);  // moves carry the unit's bytes; rows what Citus prints (0)
    EXPECT_EQ(plan.rows[i].shard_size, 0);
  }
  apply(shards, nodes, plan.moves);
  auto counts = count_per_group(shards, nodes);
  EXPECT_EQ(counts[1], 11);
  EXPECT_EQ(counts[2], 11);
  EXPECT_EQ(counts[3], 10);
  // Rebalanced: nothing more to do.
  EXPECT_FALSE(rebalance_recommended(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt));
}

TEST(Planner, TwoFreshWorkersNeedNothing) {
  std::vector<PlannerNode> nodes = three_workers();
  nodes.pop_back();
  EXPECT_TRUE(
      plan_rebalance(nodes, payment_users_fresh(), by_shard_count_strategy(), std::nullopt, std::nullopt).empty());
  EXPECT_FALSE(
      rebalance_recommended(nodes, payment_users_fresh(), by_disk_size_strategy(), std::nullopt, std::nullopt));
}

TEST(Planner, AddedWorkerIsRecommended) {
  EXPECT_TRUE(rebalance_recommended(three_workers(), payment_users_fresh(), by_shard_count_strategy(), std::nullopt,
                                    std::nullopt));
  EXPECT_TRUE(rebalance_recommended(three_workers(), payment_users_fresh(), by_disk_size_strategy(), std::nullopt,
                                    std::nullopt));
}

std::vector<PlannerNode> abc() {
  return {{1, "a", 5432, true, 1.0, 1}, {2, "b", 5432, true, 1.0, 2}, {3, "c", 5432, true, 1.0, 3}};
}

// Hand-computed (see FindAndMoveShardCost): utilizations A=100 B=50 C=10, avg 53.3, bounds [48, 58.7].
// 1) A->C shard 10 (60): target 70 > source 40, but improvement 30 / added 60 = 0.5, not below 0.5 -> taken.
// 2) C (70) -> A (40): shard 10 would overshoot (100 > 70); shard 14 (10) leaves A=50 <= C=60 -> taken.
// 3) C=60 is above the upper bound but its only shard (60) cannot move without overshooting: done.
TEST(Planner, ByDiskSizeSkewedLayoutHandComputed) {
  auto nodes = abc();
  std::vector<PlannerShard> shards = {{10, "t", 60, 1, 1, 0},
                                      {11, "t", 30, 1, 1, 1},
                                      {12, "t", 10, 1, 1, 2},
                                      {13, "t", 50, 2, 1, 3},
                                      {14, "t", 10, 3, 1, 4}};
  auto plan = compute_rebalance(nodes, shards, by_disk_size_no_base(), std::nullopt, std::nullopt);
  ASSERT_EQ(plan.moves.size(), 2u);
  EXPECT_EQ(plan.moves[0], (PlacementUpdate{"t", 10, 60, "a", 5432, "c", 5432}));
  EXPECT_EQ(plan.moves[1], (PlacementUpdate{"t", 14, 10, "c", 5432, "a", 5432}));
  // A slightly higher improvement threshold rejects move 1 (0.5 < 0.51); the next candidate is shard 11.
  Strategy picky = by_disk_size_no_base();
  picky.improvement_threshold = 0.51;
  auto plan2 = compute_rebalance(nodes, shards, picky, std::nullopt, std::nullopt);
  ASSERT_FALSE(plan2.moves.empty());
  EXPECT_EQ(plan2.moves[0].shard_id, 11);
  EXPECT_FALSE(plan2.notices.empty());  // the ignored move is reported
}

double sum_squared_deviation(const std::map<int32_t, int64_t>& bytes) {
  double total = 0;
  for (auto& [g, b] : bytes) total += static_cast<double>(b);
  double avg = total / static_cast<double>(bytes.size());
  double s = 0;
  for (auto& [g, b] : bytes) s += (static_cast<double>(b) - avg) * (static_cast<double>(b) - avg);
  return s;
}

TEST(Planner, ByDiskSizeEveryMoveImprovesAndEndsWithinThreshold) {
  auto nodes = abc();
  nodes.push_back({4, "d", 5432, true, 1.0, 4});
  std::vector<PlannerShard> shards;
  for (int i = 0; i < 60; ++i) shards.push_back({1000 + i, "events", 1000 + (i * 7919) % 500, i < 45 ? 1 : 2, 7, i});
  auto plan = compute_rebalance(nodes, shards, by_disk_size_no_base(), std::nullopt, std::nullopt);
  ASSERT_FALSE(plan.moves.empty());
  double before = sum_squared_deviation(bytes_per_group(shards, nodes));
  for (const auto& m : plan.moves) {
    EXPECT_NE(m.target_host, m.source_host);
    apply(shards, nodes, {m});
    double after = sum_squared_deviation(bytes_per_group(shards, nodes));
    EXPECT_LT(after, before) << "move of shard " << m.shard_id << " did not reduce imbalance";
    before = after;
  }
  auto bytes = bytes_per_group(shards, nodes);
  double total = 0;
  for (auto& [g, b] : bytes) total += static_cast<double>(b);
  double avg = total / 4;
  for (auto& [g, b] : bytes) {
    EXPECT_GE(static_cast<double>(b), 0.9 * avg - 1) << "group " << g;
    EXPECT_LE(static_cast<double>(b), 1.1 * avg + 1) << "group " << g;
  }
  EXPECT_TRUE(plan_rebalance(nodes, shards, by_disk_size_no_base(), std::nullopt, std::nullopt).empty());
}

TEST(Planner, ThresholdOverridesAndIsClampedToMinimum) {
  auto nodes = abc();
  // A=110 B=100 C=90: within the default 10% of 100 -> nothing; with threshold 0.05 -> moves.
  std::vector<PlannerShard> shards;
  int64_t id = 1;
  for (int g = 1; g <= 3; ++g)
    for (int k = 0; k < 10 + (g == 1 ? 1 : 0) - (g == 3 ? 1 : 0); ++k)
      shards.push_back({id, "t", 10, g, 1, static_cast<int>(id)}), ++id;
  EXPECT_TRUE(plan_rebalance(nodes, shards, by_disk_size_no_base(), std::nullopt, std::nullopt).empty());
  auto tight = compute_rebalance(nodes, shards, by_disk_size_no_base(), 0.05, std::nullopt);
  ASSERT_EQ(tight.moves.size(), 1u);
  EXPECT_EQ(tight.moves[0].source_host, "a");
  EXPECT_EQ(tight.moves[0].target_host, "c");
  auto clamped = compute_rebalance(nodes, shards, by_disk_size_no_base(), 0.0, std::nullopt);
  EXPECT_FLOAT_EQ(static_cast<float>(clamped.threshold_used), 0.01f);
  EXPECT_FALSE(clamped.notices.empty());
}

TEST(Planner, DrainMovesEverythingOffAlternatingTargets) {
  auto nodes = three_workers();
  auto shards = payment_users_fresh();
  apply(shards, nodes, plan_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt));
  auto plan = compute_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt,
                                std::make_pair(std::string("127.0.0.1"), 9703));
  ASSERT_EQ(plan.moves.size(), 10u);
  // Costs tie, so by shard id; each goes to the emptiest allowed node, ties by node id.
  for (size_t i = 0; i < plan.moves.size(); ++i) {
    EXPECT_EQ(plan.moves[i].shard_id, 102008 + static_cast<int64_t>(i));
    EXPECT_EQ(plan.moves[i].source_port, 9703);
    EXPECT_EQ(plan.moves[i].target_port, i % 2 == 0 ? 9701 : 9702);
  }
  apply(shards, nodes, plan.moves);
  EXPECT_EQ(count_per_group(shards, nodes)[3], 0);
}

TEST(Planner, NodeThatShouldNotHaveShardsIsEmptiedByRebalance) {
  auto nodes = three_workers();
  nodes[0].should_have_shards = false;  // 9701 holds 16 shards it may not keep
  auto shards = payment_users_fresh();
  auto plan = compute_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt);
  for (const auto& m : plan.moves) EXPECT_NE(m.target_port, 9701);
  apply(shards, nodes, plan.moves);
  auto counts = count_per_group(shards, nodes);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[2], 16);
  EXPECT_EQ(counts[3], 16);
}

TEST(Planner, ColocatedShardsMoveAsOneUnitListedPerShard) {
  std::vector<PlannerNode> nodes = three_workers();
  std::vector<PlannerShard> shards;
  for (int i = 0; i < 4; ++i) shards.push_back({1 + i, "a", 100, i % 2 == 0 ? 1 : 2, 1, i});
  for (int i = 0; i < 4; ++i) shards.push_back({5 + i, "b", 100, i % 2 == 0 ? 1 : 2, 1, i});
  auto plan = compute_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt);
  // Units (a_i, b_i) cost 1 each: 2/2/0 -> one move, from 9702 (ties go to the higher node id) of unit 1.
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_EQ(plan.moves[0], (PlacementUpdate{"a", 2, 200, "127.0.0.1", 9702, "127.0.0.1", 9703}));
  ASSERT_EQ(plan.rows.size(), 2u);
  EXPECT_EQ(plan.rows[0], (PlacementUpdate{"a", 2, 0, "127.0.0.1", 9702, "127.0.0.1", 9703}));
  EXPECT_EQ(plan.rows[1], (PlacementUpdate{"b", 6, 0, "127.0.0.1", 9702, "127.0.0.1", 9703}));
}

TEST(Planner, ByDiskSizeCostsTheWholeColocatedUnit) {
  std::vector<PlannerNode> nodes = {{1, "x", 1, true, 1.0, 1}, {2, "y", 1, true, 1.0, 2}};
  // unit 0 = a:100 + b:900 = 1000, unit 1 = a:600 + b:0 = 600; by a alone unit 1 would look bigger.
  std::vector<PlannerShard> shards = {
      {1, "a", 100, 1, 3, 0}, {2, "a", 600, 1, 3, 1}, {3, "b", 900, 1, 3, 0}, {4, "b", 0, 1, 3, 1}};
  auto plan = compute_rebalance(nodes, shards, by_disk_size_no_base(), std::nullopt, std::nullopt);
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_EQ(plan.moves[0].shard_id, 1);
  EXPECT_EQ(plan.moves[0].shard_size, 1000);
  ASSERT_EQ(plan.rows.size(), 2u);
  EXPECT_EQ(plan.rows[0].shard_id, 1);
  EXPECT_EQ(plan.rows[0].shard_size, 0);  // rows print pg_dist_placement.shardlength, as Citus does
  EXPECT_EQ(plan.rows[1].shard_id, 3);
  EXPECT_EQ(plan.rows[1].shard_size, 0);
}

// Measured on a live Citus 13.0.5: for a ~90 MB table (32 shards of ~3 MB, 2 workers + an empty third),
// get_rebalance_table_shards_plan(rebalance_strategy := 'by_disk_size') moved 10 shards, because every colocated
// unit costs its bytes plus citus.rebalancer_by_disk_size_base_cost (100 MiB): small shards weigh about the same.
TEST(Planner, ByDiskSizeBaseCostMakesSmallShardsWeighAlike) {
  auto nodes = three_workers();
  std::vector<PlannerShard> shards;
  for (int i = 0; i < 32; ++i)
    shards.push_back({102008 + i, "t", 2'000'000 + (i * 7919 % 1000) * 2000, i % 2 == 0 ? 1 : 2, 1, i});
  auto with_base = compute_rebalance(nodes, shards, by_disk_size_strategy(), std::nullopt, std::nullopt);
  auto by_count = compute_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt);
  EXPECT_EQ(with_base.moves.size(), 10u);
  EXPECT_EQ(with_base.moves.size(), by_count.moves.size());
  auto without_base = compute_rebalance(nodes, shards, by_disk_size_no_base(), std::nullopt, std::nullopt);
  EXPECT_NE(without_base.moves.size(), with_base.moves.size());
  // The base cost is part of the cost only: rows still print Citus's shard_size.
  for (const auto& r : with_base.rows) EXPECT_EQ(r.shard_size, 0);
}

TEST(Planner, ColocationGroupsAreBalancedSeparately) {
  auto nodes = three_workers();
  auto shards = payment_users_fresh();
  for (int i = 0; i < 4; ++i) shards.push_back({200000 + i, "orders", 10, i % 2 == 0 ? 1 : 2, 2, i});
  auto plan = compute_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt);
  ASSERT_EQ(plan.moves.size(), 11u);  // 10 for payment_users, then 1 for orders (2/2/0 -> 2/1/1)
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(plan.moves[i].table_name, "payment_users");
  EXPECT_EQ(plan.moves[10].table_name, "orders");
  EXPECT_EQ(plan.moves[10].shard_id, 200001);
}

TEST(Planner, CapacityWeightsTheShare) {
  // Citus's own example: capacities 3 and 1, three shards of cost 1 -> two on the big node, one on the small one.
  std::vector<PlannerNode> nodes = {{1, "big", 1, true, 3.0, 1}, {2, "small", 1, true, 1.0, 2}};
  std::vector<PlannerShard> shards = {{1, "t", 0, 2, 1, 0}, {2, "t", 0, 2, 1, 1}, {3, "t", 0, 2, 1, 2}};
  auto plan = compute_rebalance(nodes, shards, by_shard_count_strategy(), std::nullopt, std::nullopt);
  auto s = shards;
  apply(s, nodes, plan.moves);
  auto counts = count_per_group(s, nodes);
  EXPECT_EQ(counts[1], 2);
  EXPECT_EQ(counts[2], 1);
}

// pgmove's option values (kept here with the planner's other pure checks).
TEST(PgmoveOptions, RatesEndpointsAndValidation) {
  // PostgreSQL's units: MB is 2^20 bytes (it was 10^6 before the tools shared one parser).
  EXPECT_EQ(parse_rate_bytes_per_s("50MB/s"), 50.0 * 1024 * 1024);
  EXPECT_EQ(parse_rate_bytes_per_s("20MiB/s"), 20.0 * 1024 * 1024);
  EXPECT_EQ(parse_rate_bytes_per_s("500kB/s"), 500.0 * 1024);
  EXPECT_EQ(parse_rate_bytes_per_s("1048576"), 1048576.0);
  EXPECT_EQ(parse_rate_bytes_per_s("1.5GB"), 1.5 * 1024 * 1024 * 1024);
  EXPECT_FALSE(parse_rate_bytes_per_s("fast"));
  EXPECT_FALSE(parse_rate_bytes_per_s("50XB/s"));
  EXPECT_FALSE(parse_rate_bytes_per_s("0x10MB"));
  EXPECT_FALSE(parse_rate_bytes_per_s(""));
  EXPECT_EQ(parse_endpoint("127.0.0.1:9701"), (Endpoint{"127.0.0.1", 9701}));
  EXPECT_EQ(parse_endpoint("[::1]:5432"), (Endpoint{"::1", 5432}));
  EXPECT_FALSE(parse_endpoint("host"));
  EXPECT_FALSE(parse_endpoint("host:0"));
  EXPECT_FALSE(parse_endpoint("host:70000"));

  auto parse = [](std::vector<const char*> args) {
    args.insert(args.begin(), "pgmove");
    return parse_cli(static_cast<int>(args.size()), args.data());
  };
  auto o = parse({"rebalance", "--max-rate", "50MB/s", "--parallel=4", "--mode", "logical", "--threshold", "0.2"});
  EXPECT_EQ(o.command, "rebalance");
  EXPECT_EQ(o.max_rate_bytes_per_s, 50 << 20) << "50MB is 50 MiB, as in postgresql.conf";
  EXPECT_EQ(o.parallel, 4);
  EXPECT_EQ(o.mode, "logical");
  EXPECT_EQ(o.threshold, 0.2);
  auto m = parse({"--coordinator", "", "move", "102008", "--to", "h:5"});
  EXPECT_EQ(m.args, std::vector<std::string>{"102008"});
  EXPECT_EQ(m.to, (Endpoint{"h", 5}));
  EXPECT_THROW(parse({"rebalance", "--max-rate", "0"}), UsageError);
  EXPECT_THROW(parse({"rebalance", "--parallel", "0"}), UsageError);
  EXPECT_THROW(parse({"move", "12x", "--to", "h:5"}), UsageError);
  EXPECT_THROW(parse({"move", "12"}), UsageError);
  EXPECT_THROW(parse({"status", "--max-rate", "5MB"}), UsageError);
  EXPECT_THROW(parse({"drain"}), UsageError);
  EXPECT_THROW(parse({"plan", "--backend", "oracle"}), UsageError);
  EXPECT_TRUE(parse({"--help"}).help);
}

}  // namespace
}  // namespace pgload

// The gated real-Citus tests' fixture: a session to the coordinator PGLOAD_TEST_CITUS names (the test is skipped
// without it: CI has no Citus), and the placement check they all make.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/catalog.h"
#include "common/pg.h"

namespace pgload::test {

class CitusCoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* conninfo = std::getenv("PGLOAD_TEST_CITUS");
    if (!conninfo) GTEST_SKIP() << "PGLOAD_TEST_CITUS is not set: no Citus coordinator to test against";
    conninfo_ = conninfo;
    coord_ = PgConn::connect(conninfo_, "pgload-test");
    ASSERT_EQ(Catalog::detect(coord_), Backend::Citus);
    tables_before_ = coord_.scalar("SELECT array_agg(logicalrelid::oid)::text FROM pg_dist_partition").value_or("{}");
  }
  // The gated tests share one cluster: every Citus table a test made goes afterwards (a later rebalance, pgmove's
  // or Citus's, would otherwise meet them, e.g. owned by a role that may no longer create the shards).
  void TearDown() override {
    if (!coord_) return;
    auto made = coord_.scalar(
        "SELECT string_agg(logicalrelid::regclass::text, ', ') FROM pg_dist_partition "
        "WHERE NOT logicalrelid::oid = ANY($1::oid[])",
        {tables_before_});
    if (made) coord_.run("DROP TABLE IF EXISTS " + *made + " CASCADE");
  }

  // Rows of `table` on each of its placements that Citus itself would look for in another shard (its own
  // get_shard_id_for_distribution_column on the coordinator: enum oids, for one, differ between nodes): 0 when
  // every row is where Citus routes it.
  int64_t misplaced_rows(const std::string& table) const {
    Catalog cat = Catalog::load(coord_);
    Table t = cat.table(table);
    int64_t bad = 0;
    for (const auto& s : t.shards)
      for (int32_t g : s.groups) {
        PgConn w = PgConn::connect(cat.node_conninfo(*cat.node_for_group(g)), "pgload-test");
        auto values =
            w.scalar("SELECT array_agg(" + quote_ident(t.dist_column) + "::text) FROM " + t.shard_relation(s.shard_id));
        if (!values) continue;  // an empty shard
        bad += std::stoll(*coord_.scalar(
            "SELECT count(*) FROM unnest($1::text[]) v WHERE get_shard_id_for_distribution_column($2::regclass, v) "
            "<> $3::bigint",
            {*values, t.qualified(), std::to_string(s.shard_id)}));
      }
    return bad;
  }

  std::string conninfo_;
  PgConn coord_;
  std::string tables_before_ = "{}";  // pg_dist_partition's tables before the test (oids)
};

}  // namespace pgload::test

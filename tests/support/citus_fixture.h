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
  }

  // Rows of `table` on each of its placements whose Citus hash (worker_hash, on the worker) lies outside the
  // shard's range: 0 when every row is where Citus looks for it.
  int64_t misplaced_rows(const std::string& table) const {
    Catalog cat = Catalog::load(coord_);
    Table t = cat.table(table);
    int64_t bad = 0;
    for (const auto& s : t.shards)
      for (int32_t g : s.groups) {
        PgConn w = PgConn::connect(cat.node_conninfo(*cat.node_for_group(g)), "pgload-test");
        bad += std::stoll(*w.scalar("SELECT count(*) FROM " + t.shard_relation(s.shard_id) + " WHERE worker_hash(" +
                                    quote_ident(t.dist_column) + ") NOT BETWEEN " + std::to_string(*s.min_value) +
                                    " AND " + std::to_string(*s.max_value)));
      }
    return bad;
  }

  std::string conninfo_;
  PgConn coord_;
};

}  // namespace pgload::test

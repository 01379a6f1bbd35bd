// What both pgmove copy paths (the local backend's and the direct one on Citus) do to a unit's shard tables between
// reading their DDL and the switch: refuse a target that already has them or a logical move that cannot replicate,
// then copy every shard's rows, build its indexes, and last add the foreign keys.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mover/copy/shard_copy.h"
#include "mover/move/move_context.h"
#include "mover/move/move_progress.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Throws when the target already holds one of the tables (not in pg_dist_placement), or a logical move finds a
// table without replica identity or a source without wal_level = logical.
void check_unit_target(const MoveUnit& u, const PgConn& source, const PgConn& target, const std::vector<ShardDdl>& ddls,
                       bool logical);

// Creates the unit's tables on the target (missing schemas, tables, owners, what comes before the rows) in one
// statement string: one round trip and one transaction, so a failure leaves none of them behind.
void create_unit_tables(const PgConn& target, const std::vector<ShardDdl>& ddls,
                        const std::vector<std::string>& owners);

class UnitCopy {
 public:
  // Draws from the run's bucket (the one --max-rate and the page's re-rate set).
  UnitCopy(MoveContext& run, const MoveUnit& u, std::shared_ptr<MoveProgress::Entry> progress);
  // Copies the rows of every shard visible to `source`'s transaction.
  void copy_rows(const PgConn& source, PgConn& target, const std::function<PgConn()>& connect_target,
                 const std::vector<ShardDdl>& ddls);
  // Then their indexes and constraints (after the rows: one sort per index instead of a row-by-row insert).
  void build_indexes(const PgConn& target, const std::vector<ShardDdl>& ddls);
  // After every table of the unit exists.
  static void add_foreign_keys(PgConn& target, const std::vector<ShardDdl>& ddls);
  const ShardCopyStats& totals() const noexcept { return totals_; }

 private:
  const MoveContext& run_;
  const MoveUnit& unit_;
  std::shared_ptr<MoveProgress::Entry> progress_;
  ShardCopyOptions options_;
  ShardCopyStats totals_;
};

}  // namespace pgload

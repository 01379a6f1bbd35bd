// What a load reads of a table's indexes. Read on the first shard's worker, where they are: the local cluster's
// coordinator holds a partitioned stand-in without them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"

namespace pgload {

class ShardIndexes {
 public:
  // Throws LoadError when the table has no shard; connects only when first asked.
  ShardIndexes(const Catalog& catalog, const Table& table);

  // The primary key's columns, in index order (empty when the table has none).
  std::vector<std::string> primary_key_columns();
  // True when a unique index (or constraint) without predicate or expressions has exactly these columns.
  bool has_unique_index_on(const std::vector<std::string>& key);
  // True when `column` is the first key column of one of the table's indexes: rows inserted in its order go to
  // neighbouring index pages.
  bool an_index_leads_with(const std::string& column);
  // Closes the session (the load opens its own).
  void close() noexcept { worker_.reset(); }

 private:
  const PgConn& worker();

  const Catalog& catalog_;
  const Shard& shard_;
  std::string relation_;
  std::optional<PgConn> worker_;
};

}  // namespace pgload

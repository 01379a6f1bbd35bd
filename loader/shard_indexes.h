// What a load reads of a shard table's indexes. Read on the shard's worker, where they are: the local cluster's
// coordinator holds a partitioned stand-in without them.
#pragma once

#include <string>
#include <vector>

#include "common/pg.h"

namespace pgload {

// The primary key's columns, in index order (empty when the table has none).
std::vector<std::string> primary_key_columns(const PgConn& worker, const std::string& shard_relation);
// True when a unique index (or constraint) without predicate or expressions has exactly these columns.
bool has_unique_index_on(const PgConn& worker, const std::string& shard_relation, const std::vector<std::string>& key);
// True when `column` is the first key column of one of the table's indexes: rows inserted in its order go to
// neighbouring index pages.
bool an_index_leads_with(const PgConn& worker, const std::string& shard_relation, const std::string& column);

}  // namespace pgload

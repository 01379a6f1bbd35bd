// How shards are copied when the user does not say: logical replication where every source can do it, else
// block_writes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "mover/move/move_types.h"

namespace pgload {

// `mode` ("block_writes" / "logical") wins; unset: logical when every source runs wal_level=logical and every table
// has a primary key or replica identity, else block_writes (saying why on stderr). For logical, a note on stderr for
// each target that would make a subscription wait for its worker (PostgreSQL 15's wal_retrieve_retry_interval).
TransferMode choose_mode(const std::optional<std::string>& mode, const Catalog& catalog,
                         const std::vector<MoveRequest>& moves);

}  // namespace pgload

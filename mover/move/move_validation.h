// Request validation: every request is checked against the catalog and expanded to its colocation unit before
// any move starts, so a bad request fails the whole run with nothing touched.
#pragma once

#include <vector>

#include "common/catalog.h"
#include "mover/move/move_types.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Throws std::runtime_error naming the shard and node of the first bad request (unknown shard, reference table,
// unknown or same-group nodes, inactive target, missing source or existing target placement, a shard twice).
std::vector<MoveUnit> validate(const Catalog& catalog, const std::vector<MoveRequest>& requests);

}  // namespace pgload

// The free-disk check run before anything moves, so a run that cannot fit fails up front instead of filling a
// disk halfway through.
#pragma once

#include <vector>

#include "common/catalog.h"
#include "mover/move/move_types.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Checked before anything moves: the spool must hold the `parallel` largest units at once, and a target on this
// machine must hold everything planned onto it (with 10% headroom). Remote targets cannot be measured over SQL.
// `sizes`: each unit's bytes on its source (MoveBackend::unit_sizes).
void check_disk_space(const Catalog& catalog, const std::vector<MoveUnit>& units, const std::vector<uint64_t>& sizes,
                      const ExecutorOptions& opts);

}  // namespace pgload

// Which Citus backend a run takes: pgmove's own copy (CitusBackend) needs superuser on every node (pg_dist_* rows,
// the workers' internal metadata UDF, replication slots) and max_prepared_transactions on the metadata workers (its
// switch is two-phase); managed services give neither, so there Citus moves (CitusNativeBackend).
#pragma once

#include <memory>

#include "common/catalog.h"
#include "mover/move/move_backend.h"
#include "mover/move/move_types.h"

namespace pgload {

// Native when forced (--citus-native) or when a node does not grant the direct path what it needs; prints which
// path and why on stderr.
std::unique_ptr<MoveBackend> choose_citus_backend(const Catalog& catalog, const ExecutorOptions& opts);

}  // namespace pgload

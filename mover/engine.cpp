#include "mover/engine.h"

#include <memory>

#include "mover/citus/citus_backend.h"
#include "mover/citus/citus_path.h"
#include "mover/local/local_backend.h"
#include "mover/move/executor.h"
#include "mover/move/move_recovery.h"

namespace pgload {

namespace {

// The one choice of backend: the catalog says which cluster; on Citus a run's options and its nodes say which path
// (recovery needs none: a journal entry is always a copying move's).
std::unique_ptr<MoveBackend> backend_for(const Catalog& catalog, const ExecutorOptions* run) {
  if (catalog.backend() != Backend::Citus) return std::make_unique<LocalBackend>(catalog);
  if (!run) return std::make_unique<CitusBackend>(catalog);
  return choose_citus_backend(catalog, *run);
}

}  // namespace

MoveSummary execute_moves(Catalog& catalog, const std::vector<MoveRequest>& moves, const ExecutorOptions& opts) {
  return schedule_moves(catalog, *backend_for(catalog, &opts), moves, opts);
}

int recover_moves(Catalog& catalog) { return resolve_orphans(catalog, *backend_for(catalog, nullptr)); }

int recover_moves_reporting(Catalog& catalog) {
  return resolve_orphans_reporting(catalog, *backend_for(catalog, nullptr));
}

}  // namespace pgload

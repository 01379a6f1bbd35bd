#include "mover/citus/citus_path.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/at_once.h"
#include "mover/citus/citus_backend.h"
#include "mover/citus/citus_native.h"
#include "mover/citus/citus_sessions.h"

namespace pgload {

namespace {

// Why the direct path cannot run on `catalog`'s nodes, or "" when it can; the sessions it opened on the workers
// go to `pool` for the moves.
std::string direct_path_blocker(const Catalog& catalog, SessionPool& pool) {
  auto su = catalog.coordinator().scalar("SELECT current_setting('is_superuser')");
  if (!su || *su != "on") return "the coordinator's role is not a superuser";
  // Each worker's session is opened at the same time (a new backend each); the verdict is read in node order.
  struct Checked {
    PgConn conn;
    std::string blocker;
  };
  std::vector<std::pair<const Node*, std::string>> workers;  // and its conninfo
  for (const auto& n : catalog.nodes())
    if (!n.is_coordinator() && n.is_active && n.role == "primary") workers.emplace_back(&n, catalog.node_conninfo(n));
  auto checks = at_once(workers, [](const std::pair<const Node*, std::string>& w) -> Checked {
    const Node* n = w.first;
    try {
      PgConn c = connect_citus_worker(w.second, "pgmove");
      auto r = c.exec("SELECT current_setting('is_superuser'), current_setting('max_prepared_transactions')::int");
      if (r.str(0, 0) != "on") return {PgConn(), "the role is not a superuser on " + n->endpoint()};
      if (r.i64(0, 1) < 1) return {PgConn(), "max_prepared_transactions is 0 on " + n->endpoint()};
      return {std::move(c), ""};
    } catch (const PgError& e) {
      return {PgConn(), "cannot reach " + n->endpoint() + " directly (" + e.server_message() + ")"};
    }
  });
  std::string blocker;
  for (size_t i = 0; i < checks.size(); ++i) {
    if (blocker.empty()) blocker = checks[i].blocker;
    if (checks[i].conn) pool.give("worker " + workers[i].first->endpoint(), std::move(checks[i].conn));
  }
  return blocker;
}

}  // namespace

std::unique_ptr<MoveBackend> choose_citus_backend(const Catalog& catalog, const ExecutorOptions& opts) {
  std::string reason = "--citus-native";
  if (!opts.citus_native) {
    auto direct = std::make_unique<CitusBackend>(catalog);
    reason = direct_path_blocker(catalog, direct->sessions());
    if (reason.empty()) {
      std::fprintf(stderr, "pgmove: Citus: pgmove copies the shards and switches the placements itself (%s)\n",
                   "superuser on every node");
      return direct;
    }
  }
  std::fprintf(stderr, "pgmove: Citus: moving with citus_move_shard_placement() (%s)\n", reason.c_str());
  return std::make_unique<CitusNativeBackend>(catalog);
}

}  // namespace pgload

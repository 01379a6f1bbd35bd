// Commit decisions live in pgload.commit_decisions on the coordinator, a table of pgload's own, so Citus's
// pg_dist_transaction recovery never sees (or resolves) pgload's transactions.
#include "loader/two_phase.h"

#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string_view>

#include "common/endpoint.h"
#include "common/pgload_schema.h"
#include "common/session_conninfo.h"

namespace pgload {
namespace {

// Decisions made before endpoints were recorded have no gid_endpoints (common/pgload_schema.cpp adds the column).
constexpr const char* kHasEndpointsSql =
    "SELECT 1 FROM pg_attribute WHERE attrelid = 'pgload.commit_decisions'::regclass AND attname = 'gid_endpoints' "
    "AND NOT attisdropped";

// A role resolves only the prepared transactions it owns (it prepared them as itself; COMMIT/ROLLBACK PREPARED of
// another role's would fail): another role's crashed load is left to that role's recover or a superuser's.
constexpr const char* kPreparedSql =
    "SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'pgload\\_%' AND database = current_database() "
    "AND (owner = current_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))";

// Advisory lock key of a run: both the run and recover compute it the same way, on the server.
constexpr const char* kLockKey = "hashtextextended('pgload:' || $1, 0)";

std::string random_run_id() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(getpid()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

constexpr std::string_view kGidPrefix = "pgload_";
constexpr size_t kRunIdChars = 16;  // random_run_id(): 16 lower-case hex digits

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The run id of a gid made by TwoPhaseRun::gid, pgload_<16 hex>_<node>_<n> exactly; "" for any other gid. Recovery
// touches only these: other tools' gids under the same prefix (pgmove's older pgload_move_<move>_<group>, prepared
// on metadata workers between its coordinator and worker commits) must survive a load.
std::string run_of_gid(std::string_view gid) {
  if (!gid.starts_with(kGidPrefix)) return "";
  const std::string_view rest = gid.substr(kGidPrefix.size());
  if (rest.size() < kRunIdChars + 4 || rest[kRunIdChars] != '_') return "";
  const std::string_view run = rest.substr(0, kRunIdChars);
  if (!std::all_of(run.begin(), run.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return "";
  const std::string_view tail = rest.substr(kRunIdChars + 1);
  const size_t sep = tail.find('_');
  if (sep == std::string_view::npos || !all_digits(tail.substr(0, sep)) || !all_digits(tail.substr(sep + 1))) return "";
  return std::string(run);
}

// The run id of a lock gid made by TwoPhaseRun::lock_gid, pgload_<16 hex>_lock_<n> exactly; "" for any other gid.
std::string run_of_lock_gid(std::string_view gid) {
  if (!gid.starts_with(kGidPrefix)) return "";
  const std::string_view rest = gid.substr(kGidPrefix.size());
  constexpr std::string_view kLock = "_lock_";
  if (rest.size() < kRunIdChars + kLock.size() + 1 || rest.substr(kRunIdChars, kLock.size()) != kLock) return "";
  const std::string_view run = rest.substr(0, kRunIdChars);
  if (!std::all_of(run.begin(), run.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return "";
  if (!all_digits(rest.substr(kRunIdChars + kLock.size()))) return "";
  return std::string(run);
}

}  // namespace

TwoPhaseRun::TwoPhaseRun(const PgConn& coordinator)
    : coordinator_(PgConn::connect(session_conninfo(coordinator), "pgload")), run_id_(random_run_id()) {
  ensure_pgload_schema(coordinator_);
  coordinator_.run(std::string("SELECT pg_advisory_lock(") + "hashtextextended('pgload:' || " + quote_literal(run_id_) +
                   ", 0))");
  started_us_ = std::stoll(*coordinator_.scalar("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"));
}

std::string TwoPhaseRun::lock_gid(int64_t n) const {
  return std::string(kGidPrefix) + run_id_ + "_lock_" + std::to_string(n);
}

std::string TwoPhaseRun::gid(int32_t node_id, int n) const {
  return std::string(kGidPrefix) + run_id_ + "_" + std::to_string(node_id) + "_" + std::to_string(n);
}

void TwoPhaseRun::record_decision(const std::vector<PreparedTxn>& txns) const {
  // A session already lost (e.g. while an earlier step deleted its decision) certainly records nothing: say so as
  // a plain failure, so the caller rolls back instead of reporting the outcome as unknown.
  if (PQstatus(coordinator_.raw()) != CONNECTION_OK)
    throw PgError("the coordinator session of run " + run_id_ + " was lost earlier", "08003", coordinator_.endpoint(),
                  "", false);
  std::vector<std::string> gids, endpoints;
  for (const PreparedTxn& t : txns) {
    gids.push_back(t.gid);
    endpoints.push_back(t.endpoint);
  }
  const char* insert =
      "INSERT INTO pgload.commit_decisions (run_id, gids, gid_endpoints) VALUES ($1, $2::text[], $3::text[])";
  coordinator_.run("BEGIN");
  try {
    // The decision is the commit point: it must be durable (flushed, and on a synchronous standby if there is one)
    // before any COMMIT PREPARED, whatever synchronous_commit the role or database sets.
    coordinator_.run("SET LOCAL synchronous_commit = on");
    coordinator_.exec(insert, {run_id_, array_literal(gids), array_literal(endpoints)});
    if (!rider_sql_.empty()) coordinator_.exec(rider_sql_, rider_params_);
    coordinator_.run("COMMIT");
  } catch (const PgError& e) {
    if (!e.connection_lost()) {
      try {
        coordinator_.run("ROLLBACK");
      } catch (const PgError&) {
        // the session is unusable; the caller rolls every shard back and the process ends
      }
    }
    throw;
  }
}

void TwoPhaseRun::set_decision_rider(std::string sql, Params params) {
  rider_sql_ = std::move(sql);
  rider_params_ = std::move(params);
}

std::optional<std::string> TwoPhaseRun::forget_decision() const {
  try {
    coordinator_.exec("DELETE FROM pgload.commit_decisions WHERE run_id = $1", {run_id_});
  } catch (const PgError& e) {
    return "the load is committed on every worker, but deleting its commit decision (run " + run_id_ +
           ") failed on the coordinator " + e.endpoint() + ": " + e.server_message() +
           "; the leftover row is harmless and the next `pgload recover` (or load) deletes it. Do not load the "
           "input again: its rows are in the table";
  }
  return std::nullopt;
}

void TwoPhaseRun::lose_session_for_fault() const noexcept {
  PQclear(PQexec(coordinator_.raw(), "SELECT pg_terminate_backend(pg_backend_pid())"));
}

namespace {

// Where recovery looks: a node of pg_dist_node, or a host:port only a decision remembers.
struct RecoveryTarget {
  Node node;
  bool in_catalog = false;
};

// What recovery knows about one run, read once the run is known to be dead (a dead run adds no decision later).
struct RunState {
  bool live = false;
  bool decided = false;
  std::vector<PreparedTxn> txns;  // endpoint empty: an old-format decision, found through the gid's node id
};

// The node a recorded "host:port" names (not looked up in the catalog: it may have been removed since).
std::optional<Node> node_at(const std::string& endpoint) {
  auto ep = parse_endpoint(endpoint);
  if (!ep) return std::nullopt;
  Node n;
  n.host = ep->first;
  n.port = ep->second;
  n.role = "primary";
  n.is_active = false;
  return n;
}

// Node id inside pgload_<run>_<node>_<n>, or -1.
int32_t node_of_gid(const std::string& gid) {
  size_t a = gid.find('_', 7);
  size_t b = a == std::string::npos ? a : gid.find('_', a + 1);
  if (b == std::string::npos) return -1;
  try {
    return static_cast<int32_t>(std::stol(gid.substr(a + 1, b - a - 1)));
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

RecoveryResult recover_prepared(const Catalog& catalog) {
  RecoveryResult res;
  const PgConn& coord = catalog.coordinator();
  const bool have_decisions = coord.scalar("SELECT to_regclass('pgload.commit_decisions')").has_value();
  const bool have_endpoints = have_decisions && coord.scalar(kHasEndpointsSql).has_value();
  const std::string endpoints_col = have_endpoints ? "d.gid_endpoints" : "NULL::text[]";

  std::map<std::string, RunState> runs;
  auto state_of = [&](const std::string& run) -> RunState& {
    auto it = runs.find(run);
    if (it != runs.end()) return it->second;
    RunState st;
    // A run that is alive holds its lock; if we get it, the run is dead and its decision is final.
    bool got = coord.scalar(std::string("SELECT pg_try_advisory_lock(") + kLockKey + ")", {run}) == "t";
    if (got) coord.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")", {run});
    st.live = !got;
    if (!st.live && have_decisions) {
      auto r = coord.exec(
          "SELECT g.gid, coalesce(g.endpoint, '') FROM pgload.commit_decisions d LEFT JOIN LATERAL "
          "unnest(d.gids, " +
              endpoints_col + ") AS g(gid, endpoint) ON true WHERE d.run_id = $1",
          {run});
      st.decided = r.rows() > 0;
      for (int i = 0; i < r.rows(); ++i)
        if (!r.is_null(i, 0)) st.txns.push_back({r.str(i, 0), r.str(i, 1)});
    }
    return runs.emplace(run, std::move(st)).first->second;
  };
  auto endpoint_of = [&](const PreparedTxn& t) -> std::string {
    if (!t.endpoint.empty()) return t.endpoint;
    int32_t id = node_of_gid(t.gid);
    for (const Node& n : catalog.nodes())
      if (n.node_id == id) return n.endpoint();
    return "";
  };

  // Every primary node of the catalog, active or not, and every node a decision names (even one since removed).
  std::map<std::string, RecoveryTarget> targets;
  for (const Node& node : catalog.nodes())
    if (node.role == "primary") targets[node.endpoint()] = {node, true};
  if (have_endpoints) {
    auto r = coord.exec("SELECT DISTINCT e FROM pgload.commit_decisions d, unnest(d.gid_endpoints) e WHERE e <> ''");
    for (int i = 0; i < r.rows(); ++i)
      if (auto n = node_at(r.str(i, 0)); n && !targets.count(r.str(i, 0))) targets[r.str(i, 0)] = {*n, false};
  }

  std::map<std::string, std::string> unreachable;                // endpoint -> why
  std::set<std::string> left_prepared;                           // decided gids that are still prepared
  std::map<std::string, std::vector<std::string>> worker_locks;  // endpoint -> lock gids (a reference table's)
  for (const auto& [endpoint, target] : targets) {
    PgConn w;
    try {
      w = PgConn::connect(catalog.node_conninfo(target.node), "pgload recover");
    } catch (const PgError& e) {
      unreachable[endpoint] = e.server_message();
      continue;
    }
    auto prepared = w.exec(kPreparedSql);
    for (int i = 0; i < prepared.rows(); ++i) {
      std::string gid = prepared.str(i, 0);
      if (!run_of_lock_gid(gid).empty()) worker_locks[endpoint].push_back(gid);
      std::string run = run_of_gid(gid);
      if (run.empty()) continue;
      RunState& st = state_of(run);
      if (st.live) {
        ++res.skipped_live;
        continue;
      }
      try {
        w.run(std::string(st.decided ? "COMMIT PREPARED " : "ROLLBACK PREPARED ") + quote_literal(gid));
        ++(st.decided ? res.committed : res.rolled_back);
      } catch (const PgError& e) {
        if (e.sqlstate() == "42704") continue;  // a concurrent recover resolved it first
        if (!st.decided) throw;
        left_prepared.insert(gid);
        unreachable[endpoint] = "COMMIT PREPARED failed: " + e.server_message();
      }
    }
  }

  // A decision of a dead run goes only when every gid it lists is resolved: committed, or no longer prepared on a
  // node that answered. Anything else keeps it for the next recover.
  std::vector<std::string> decided_runs;
  if (have_decisions) {
    auto r = coord.exec("SELECT run_id FROM pgload.commit_decisions ORDER BY run_id");
    for (int i = 0; i < r.rows(); ++i) decided_runs.push_back(r.str(i, 0));
  }
  bool needed_unreachable = false;
  for (const std::string& run : decided_runs) {
    RunState& st = state_of(run);
    if (st.live || !st.decided) continue;
    std::map<std::string, std::vector<std::string>> open;  // endpoint -> gids not known to be resolved
    for (const PreparedTxn& t : st.txns) {
      std::string ep = endpoint_of(t);
      if (ep.empty() || !targets.count(ep) || unreachable.count(ep) || left_prepared.count(t.gid))
        open[ep].push_back(t.gid);
    }
    if (open.empty()) {
      coord.exec("DELETE FROM pgload.commit_decisions WHERE run_id = $1", {run});
      continue;
    }
    for (const auto& [ep, gids] : open) {
      std::string why = ep.empty()              ? "its node is not in pg_dist_node and no host:port was recorded"
                        : unreachable.count(ep) ? unreachable[ep]
                                                : "not checked in this pass";
      if (!ep.empty() && unreachable.count(ep)) needed_unreachable = true;
      std::string line =
          "run " + run + " is decided but not finished on node " + (ep.empty() ? "?" : ep) + " (" + why + "): ";
      for (size_t i = 0; i < gids.size(); ++i) line += (i ? ", " : "") + gids[i];
      res.unresolved.push_back(std::move(line));
    }
  }
  // Last, the prepared lock transactions of dead runs (LoadLock::prepare): each keeps moves and rewrites of its table
  // waiting until nothing of its run is left prepared, so it goes only once the run's decision is gone (every gid
  // resolved) or the run never decided (its parts were rolled back, or will be: a move cannot lose them).
  std::set<std::string> still_decided;
  if (have_decisions) {
    auto r = coord.exec("SELECT run_id FROM pgload.commit_decisions");
    for (int i = 0; i < r.rows(); ++i) still_decided.insert(r.str(i, 0));
  }
  auto release_locks = [&](const PgConn& c, const std::vector<std::string>& gids) {
    for (const std::string& gid : gids) {
      const std::string run = run_of_lock_gid(gid);
      if (run.empty() || still_decided.count(run)) continue;
      if (state_of(run).live) {
        ++res.skipped_live;
        continue;
      }
      try {
        c.run("ROLLBACK PREPARED " + quote_literal(gid));
        ++res.locks_released;
      } catch (const PgError& e) {
        if (e.sqlstate() != "42704") throw;  // a concurrent recover released it first
      }
    }
  };
  // A reference table's lock on the first worker (which may be the coordinator, if it is in pg_dist_node), then the
  // coordinator's.
  for (const auto& [endpoint, gids] : worker_locks) {
    try {
      release_locks(PgConn::connect(catalog.node_conninfo(targets[endpoint].node), "pgload recover"), gids);
    } catch (const PgError&) {
      // Found a moment ago; if it is gone now, the next recover releases it.
    }
  }
  auto locks = coord.exec(
      "SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'pgload\\_%\\_lock\\_%' AND database = current_database()");
  std::vector<std::string> coord_locks;
  for (int i = 0; i < locks.rows(); ++i) coord_locks.push_back(locks.str(i, 0));
  release_locks(coord, coord_locks);
  // An unreachable active node may still hold undecided transactions of a crashed run: say so, as before.
  if (res.unresolved.empty() && !needed_unreachable)
    for (const auto& [ep, why] : unreachable)
      if (targets[ep].in_catalog && targets[ep].node.is_active)
        throw PgError(
            "worker " + ep + " is unreachable while checking for a crashed load's prepared transactions: " + why,
            "08001", ep, "", true);
  return res;
}

bool fault_requested(const char* point) {
  static const char* spec = std::getenv("PGLOAD_FAULT");
  if (!spec) return false;
  static std::map<std::string, int> hits;
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::string s(spec);
  std::string name = s.substr(0, s.find(':'));
  if (name != point) return false;
  int nth = s.find(':') == std::string::npos ? 1 : std::atoi(s.c_str() + s.find(':') + 1);
  if (++hits[name] != nth) return false;
  std::fprintf(stderr, "pgload: fault injected at %s:%d\n", point, nth);
  std::fflush(stderr);
  return true;
}

void fault_point(const char* point) {
  if (fault_requested(point)) kill(getpid(), SIGKILL);
}

}  // namespace pgload

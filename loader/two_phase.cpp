// Commit decisions live in pgload.commit_decisions on the coordinator, a table of pgload's own, so Citus's
// pg_dist_transaction recovery never sees (or resolves) pgload's transactions.
#include "loader/two_phase.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>

namespace pgload {
namespace {

constexpr const char* kSchemaSql =
    "CREATE SCHEMA IF NOT EXISTS pgload;"
    "CREATE TABLE IF NOT EXISTS pgload.commit_decisions ("
    "  run_id text PRIMARY KEY, gids text[] NOT NULL, decided_at timestamptz NOT NULL DEFAULT now())";

// Advisory lock key of a run: both the run and recover compute it the same way, on the server.
constexpr const char* kLockKey = "hashtextextended('pgload:' || $1, 0)";

std::string random_run_id() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(getpid()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// gid = pgload_<run>_<node>_<n>; returns the run id or "" when the gid is not pgload's.
std::string run_of_gid(const std::string& gid) {
  if (gid.rfind("pgload_", 0) != 0) return "";
  size_t end = gid.find('_', 7);
  return end == std::string::npos ? "" : gid.substr(7, end - 7);
}

}  // namespace

TwoPhaseRun::TwoPhaseRun(const PgConn& coordinator) : coordinator_(coordinator), run_id_(random_run_id()) {
  // Concurrent first runs may race on CREATE ... IF NOT EXISTS; a unique violation there is harmless.
  try {
    coordinator_.run(kSchemaSql);
  } catch (const PgError& e) {
    if (e.sqlstate() != "23505" && e.sqlstate() != "42P06" && e.sqlstate() != "42P07") throw;
  }
  coordinator_.run(std::string("SELECT pg_advisory_lock(") + "hashtextextended('pgload:' || " +
                   quote_literal(run_id_) + ", 0))");
}

std::string TwoPhaseRun::gid(int32_t node_id, int n) const {
  return "pgload_" + run_id_ + "_" + std::to_string(node_id) + "_" + std::to_string(n);
}

void TwoPhaseRun::record_decision(const std::vector<std::string>& gids) const {
  std::string arr = "{";
  for (size_t i = 0; i < gids.size(); ++i) arr += (i ? "," : "") + gids[i];
  arr += "}";
  coordinator_.exec("INSERT INTO pgload.commit_decisions (run_id, gids) VALUES ($1, $2::text[])", {run_id_, arr});
}

void TwoPhaseRun::forget_decision() const {
  coordinator_.exec("DELETE FROM pgload.commit_decisions WHERE run_id = $1", {run_id_});
}

RecoveryResult recover_prepared(const Catalog& catalog) {
  RecoveryResult res;
  const PgConn& coord = catalog.coordinator();
  if (!coord.scalar("SELECT to_regclass('pgload.commit_decisions')")) return res;  // never used here
  std::map<std::string, bool> live;  // run id -> still running
  std::vector<std::string> resolved_runs;
  for (const Node& node : catalog.nodes()) {
    if (node.role != "primary" || !node.is_active) continue;
    PgConn w;
    try {
      w = PgConn::connect(catalog.node_conninfo(node), "pgload recover");
    } catch (const PgError& e) {
      throw PgError("worker " + node.endpoint() + " is unreachable while checking for a crashed load's prepared "
                        "transactions: " + e.server_message(),
                    e.sqlstate(), e.endpoint(), "", true);
    }
    auto prepared = w.exec(
        "SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'pgload\\_%' AND database = current_database()");
    for (int i = 0; i < prepared.rows(); ++i) {
      std::string gid = prepared.str(i, 0);
      std::string run = run_of_gid(gid);
      if (run.empty()) continue;
      if (!live.count(run)) {
        // A run that is alive holds its lock; if we get it, the run is dead and its decision is final.
        bool got = coord.scalar(std::string("SELECT pg_try_advisory_lock(") + kLockKey + ")", {run}) == "t";
        if (got) coord.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")", {run});
        live[run] = !got;
      }
      if (live[run]) {
        ++res.skipped_live;
        continue;
      }
      bool decided = coord.scalar("SELECT 1 FROM pgload.commit_decisions WHERE run_id = $1", {run}).has_value();
      w.run(std::string(decided ? "COMMIT PREPARED " : "ROLLBACK PREPARED ") + quote_literal(gid));
      ++(decided ? res.committed : res.rolled_back);
    }
  }
  // Decisions of dead runs with nothing left prepared anywhere are done.
  auto decisions = coord.exec("SELECT run_id FROM pgload.commit_decisions");
  for (int i = 0; i < decisions.rows(); ++i) {
    std::string run = decisions.str(i, 0);
    auto it = live.find(run);
    bool is_live = it != live.end() ? it->second : false;
    if (it == live.end()) {
      bool got = coord.scalar(std::string("SELECT pg_try_advisory_lock(") + kLockKey + ")", {run}) == "t";
      if (got) coord.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")", {run});
      is_live = !got;
    }
    if (!is_live) coord.exec("DELETE FROM pgload.commit_decisions WHERE run_id = $1", {run});
  }
  return res;
}

void fault_point(const char* point) {
  static const char* spec = std::getenv("PGLOAD_FAULT");
  if (!spec) return;
  static std::map<std::string, int> hits;
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::string s(spec);
  std::string name = s.substr(0, s.find(':'));
  if (name != point) return;
  int nth = s.find(':') == std::string::npos ? 1 : std::atoi(s.c_str() + s.find(':') + 1);
  if (++hits[name] == nth) {
    std::fprintf(stderr, "pgload: fault injected at %s:%d\n", point, nth);
    std::fflush(stderr);
    kill(getpid(), SIGKILL);
  }
}

}  // namespace pgload

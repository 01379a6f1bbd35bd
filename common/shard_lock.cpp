// Try the lock briefly first; when that times out, wait for it asynchronously and ask a second session who holds
// it (pg_blocking_pids works for Citus's and the local advisory locks alike), so the wait can be explained.
#include "common/shard_lock.h"

#include <poll.h>

#include <algorithm>
#include <chrono>

#include "common/pgload_schema.h"
#include "common/session_conninfo.h"

namespace pgload {
namespace {

constexpr int64_t kFirstTryMs = 200;  // a logical move's final catch-up holds the lock this briefly: no message
constexpr int kPollMs = 100;

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

ShardLockError classify(const PgError& e, const std::vector<int64_t>& ids) {
  if (e.sqlstate() == "42501")
    return {ShardLockError::Kind::NotOwner, "cannot take the shard lock (lock_shard_metadata) on shards " +
                                                join_ids(ids) + ": " + e.server_message() + " [coordinator " +
                                                e.endpoint() + "]"};
  if (e.sqlstate() == "42883")
    return {ShardLockError::Kind::Failed,
            "the coordinator " + e.endpoint() +
                " has no lock_shard_metadata(integer, bigint[]) (a local cluster made by an older "
                "pgcluster: load cluster/catalog.sql's definition or re-create it)"};
  return {ShardLockError::Kind::Failed, "taking the shard lock on shards " + join_ids(ids) + " failed: " + e.what()};
}

}  // namespace

namespace {

// pgload's prepared lock transactions (pgload_<run>_lock_<n>, see loader/load_lock.h) on this server, in words; pid
// 0 in pg_blocking_pids is a prepared transaction. A run that still holds its advisory lock is committing; one that
// does not has crashed in doubt and only `pgload recover` (or the next load) releases its lock.
std::string describe_prepared_loads(const PgConn& observer) {
  auto r = observer.exec(
      "SELECT DISTINCT substr(gid, 8, 16) FROM pg_catalog.pg_prepared_xacts "
      "WHERE gid ~ '^pgload_[0-9a-f]{16}_lock_[0-9]+$' AND database = current_database() ORDER BY 1");
  std::string out;
  for (int i = 0; i < r.rows(); ++i) {
    const std::string run = r.str(i, 0);
    const bool dead =
        observer.scalar("SELECT pg_try_advisory_lock(hashtextextended('pgload:' || $1, 0))", {run}) == "t";
    if (dead) observer.exec("SELECT pg_advisory_unlock(hashtextextended('pgload:' || $1, 0))", {run});
    out += std::string(out.empty() ? "" : ", and ") +
           (dead ? "a crashed load in doubt (run " + run + "): run `pgload recover`"
                 : "the commit of the load of pgload (run " + run + ") to finish");
  }
  return out;
}

}  // namespace

std::string describe_lock_holders(const PgConn& observer, int waiting_pid, const std::vector<int64_t>& shard_ids) {
  if (observer.scalar("SELECT 0 = ANY(pg_catalog.pg_blocking_pids($1::int))", {std::to_string(waiting_pid)}) == "t")
    if (std::string prepared = describe_prepared_loads(observer); !prepared.empty()) return prepared;
  auto holders = observer.exec(
      "SELECT pid, coalesce(application_name, ''), coalesce(state, '') FROM pg_stat_activity "
      "WHERE pid = ANY(pg_blocking_pids($1::int)) ORDER BY pid",
      {std::to_string(waiting_pid)});
  if (holders.rows() == 0) return "";
  std::string pids = "{";
  for (int i = 0; i < holders.rows(); ++i) pids += (i ? "," : "") + holders.str(i, 0);
  pids += "}";
  const std::string ids = "{" + join_ids(shard_ids) + "}";
  // A move's session holds its journal row's owner lock: that names the move a holder runs, whichever lock it is
  // (the shard lock of the same shards, or a lock of the whole table that a move of other shards holds), whatever
  // the session's application_name.
  if (observer.scalar("SELECT to_regclass('pgload.moves')")) {
    auto m = observer.exec(
        "SELECT s, coalesce(src.nodename || ':' || src.nodeport, 'group ' || m.source_group), "
        "       coalesce(dst.nodename || ':' || dst.nodeport, 'group ' || m.target_group) "
        "FROM pg_catalog.pg_locks l "
        "JOIN pgload.moves m ON m.move_id & 4294967295 = l.objid::bigint "
        "CROSS JOIN LATERAL unnest(m.shard_ids) s "
        "LEFT JOIN pg_dist_node src ON src.groupid = m.source_group AND src.noderole = 'primary' "
        "LEFT JOIN pg_dist_node dst ON dst.groupid = m.target_group AND dst.noderole = 'primary' "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = " +
            std::to_string(kMoveOwnerLockClass) +
            "::oid AND l.pid = ANY($1::int[]) "
            "  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
            "  AND m.state IN ('started', 'switched') "
            "ORDER BY s = ANY($2::bigint[]) DESC, m.move_id DESC, s LIMIT 1",
        {pids, ids});
    if (m.rows() == 1) return "the move of shard " + m.str(0, 0) + " (" + m.str(0, 1) + " -> " + m.str(0, 2) + ")";
  }
  if (observer.scalar("SELECT to_regprocedure('pg_catalog.get_rebalance_progress()')")) {
    // Citus's rebalance monitor: sessionid is the backend running the move (also for background tasks).
    auto m = observer.exec(
        "SELECT shardid, sourcename || ':' || sourceport, targetname || ':' || targetport "
        "FROM pg_catalog.get_rebalance_progress() WHERE sessionid = ANY($1::int[]) "
        "ORDER BY shardid = ANY($2::bigint[]) DESC, progress = 1 DESC, shardid LIMIT 1",
        {pids, ids});
    if (m.rows() == 1) return "the move of shard " + m.str(0, 0) + " (" + m.str(0, 1) + " -> " + m.str(0, 2) + ")";
  }
  // pgload names its coordinator sessions "pgload": a load holds the lock (Share) until its last COMMIT PREPARED.
  std::string loads;
  for (int i = 0; i < holders.rows(); ++i)
    if (holders.get(i, 1) == "pgload") loads += std::string(loads.empty() ? "" : ",") + " pid " + holders.str(i, 0);
  if (!loads.empty()) return "the load of pgload (" + loads.substr(1) + ") to finish";
  std::string out = "the shard lock held by";
  for (int i = 0; i < holders.rows(); ++i)
    out += std::string(i ? "," : "") + " pid " + holders.str(i, 0) + " (application_name '" + holders.str(i, 1) +
           "', " + holders.str(i, 2) + ")";
  return out;
}

void lock_shards(const PgConn& c, std::vector<int64_t> shard_ids, const ShardLockOptions& options) {
  std::sort(shard_ids.begin(), shard_ids.end());
  shard_ids.erase(std::unique(shard_ids.begin(), shard_ids.end()), shard_ids.end());
  if (shard_ids.empty()) return;
  lock_waiting(c,
               "SELECT pg_catalog.lock_shard_metadata(" + std::to_string(static_cast<int>(options.mode)) + ", ARRAY[" +
                   join_ids(shard_ids) + "]::bigint[])",
               shard_ids, options);
}

void lock_waiting(const PgConn& c, const std::string& sql, const std::vector<int64_t>& shard_ids,
                  const ShardLockOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  // The caller's timeouts are kept in transaction-local placeholders and put back from there, so that the first
  // try (the common case: nobody holds the lock) is one round trip; they are set before the savepoint, so they
  // outlive its rollback.
  const std::string save =
      "SELECT set_config('pgload.saved_lock_timeout', current_setting('lock_timeout'), true), "
      "set_config('pgload.saved_statement_timeout', current_setting('statement_timeout'), true)";
  const std::string restore_sql =
      "SELECT set_config('lock_timeout', current_setting('pgload.saved_lock_timeout'), true), "
      "set_config('statement_timeout', current_setting('pgload.saved_statement_timeout'), true)";
  auto restore = [&] { c.run(restore_sql); };
  const int64_t first_try_ms =
      options.lock_timeout_ms ? std::clamp<int64_t>(*options.lock_timeout_ms, 1, kFirstTryMs) : kFirstTryMs;
  const int pid = PQbackendPID(c.raw());

  // First try in a savepoint: a lock timeout then aborts only the savepoint, not the caller's transaction. One
  // simple query: the server runs its statements in order and stops at the first error.
  try {
    c.run(save + "; SAVEPOINT pgload_shard_lock; SELECT set_config('lock_timeout', '" + std::to_string(first_try_ms) +
          "', true); " + sql + "; RELEASE SAVEPOINT pgload_shard_lock; " + restore_sql);
    return;
  } catch (const PgError& e) {
    if (e.sqlstate() != "55P03") throw classify(e, shard_ids);
  }
  c.run("ROLLBACK TO SAVEPOINT pgload_shard_lock; RELEASE SAVEPOINT pgload_shard_lock");

  int64_t wait_ms = 0;  // 0 = no limit, as PostgreSQL's lock_timeout
  if (options.lock_timeout_ms) {
    auto spent_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    wait_ms = std::max<int64_t>(1, *options.lock_timeout_ms - spent_ms);
  }
  c.exec("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', '0', true)",
         {std::to_string(wait_ms)});
  if (!PQsendQuery(c.raw(), sql.c_str())) c.fail(nullptr, sql);
  PgConn observer;
  std::string holder;
  bool observer_failed = false;
  for (;;) {
    if (!PQconsumeInput(c.raw())) c.fail(nullptr, sql);
    if (!PQisBusy(c.raw())) break;
    if (!observer && !observer_failed) {
      try {
        observer = PgConn::connect(session_conninfo(c), "pgload shard lock");
      } catch (const PgError&) {
        observer_failed = true;  // the wait goes on, unexplained
      }
    }
    if (holder.empty() && observer) {
      try {
        holder = describe_lock_holders(observer, pid, shard_ids);
      } catch (const PgError&) {
        // Naming the holder is a courtesy: the wait goes on without it.
      }
      if (!holder.empty() && options.on_wait) options.on_wait("waiting for " + holder);
    }
    pollfd p{PQsocket(c.raw()), POLLIN, 0};
    (void)poll(&p, 1, kPollMs);
  }
  PgResult failed;
  while (PGresult* r = PQgetResult(c.raw())) {
    PgResult owned(r);
    auto st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !failed.raw()) failed = std::move(owned);
  }
  if (failed.raw()) {
    try {
      c.fail(failed.raw(), sql);
    } catch (const PgError& e) {
      if (e.sqlstate() != "55P03") throw classify(e, shard_ids);
      throw ShardLockError(ShardLockError::Kind::Timeout,
                           "gave up after " + std::to_string(options.lock_timeout_ms.value_or(0)) +
                               " ms (lock timeout) waiting for " +
                               (holder.empty() ? "the shard lock of shards " + join_ids(shard_ids) : holder));
    }
  }
  restore();
}

}  // namespace pgload

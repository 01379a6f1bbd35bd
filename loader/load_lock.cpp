// Citus takes these locks inside the coordinator transaction of its COPY; pgload's writes go straight to the
// workers, so it holds them in a coordinator transaction of its own that writes nothing. Everything in it is local to
// the coordinator (lock_relation_if_exists instead of LOCK TABLE, which Citus propagates), so it can be PREPAREd.
#include "loader/load_lock.h"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <utility>
#include <vector>

#include "common/session_conninfo.h"
#include "common/shard_lock.h"
#include "loader/load_error.h"

namespace pgload {
namespace {

std::vector<int64_t> shard_ids(const Table& t) {
  std::vector<int64_t> ids;
  for (const Shard& s : t.shards) ids.push_back(s.shard_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool same_columns(const Table& a, const Table& b) {
  if (a.columns.size() != b.columns.size() || a.dist_column != b.dist_column) return false;
  for (size_t i = 0; i < a.columns.size(); ++i)
    if (a.columns[i].name != b.columns[i].name || a.columns[i].type_oid != b.columns[i].type_oid ||
        a.columns[i].typmod != b.columns[i].typmod)
      return false;
  return true;
}

std::string id_array(const std::vector<int64_t>& ids) {
  std::string s = "ARRAY[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]::bigint[]";
}

// Citus's first worker (IsFirstWorkerNode: the active primary non-coordinator nodes sorted by name, then port), or
// null when there is none.
const Node* first_worker(const Catalog& catalog) {
  const Node* first = nullptr;
  for (const Node& n : catalog.nodes())
    if (n.is_active && n.role == "primary" && !n.is_coordinator() &&
        (!first || std::tie(n.host, n.port) < std::tie(first->host, first->port)))
      first = &n;
  return first;
}

void begin_lock_txn(const PgConn& c, std::optional<int64_t> lock_timeout_ms) {
  c.run("BEGIN ISOLATION LEVEL READ COMMITTED");
  // The transaction stays idle while the load streams; a server-side idle timeout would drop the lock.
  c.run("SELECT set_config('idle_in_transaction_session_timeout', '0', true)");
  if (lock_timeout_ms)
    c.exec("SELECT set_config('lock_timeout', $1, true)", {std::to_string(std::max<int64_t>(1, *lock_timeout_ms))});
}

}  // namespace

LoadLock::LoadLock(Catalog& catalog, Table& table, std::optional<int64_t> lock_timeout_ms,
                   std::function<void(const std::string&)> on_wait) {
  const std::string name = table.qualified();
  try {
    const Node* first = table.is_reference() ? first_worker(catalog) : nullptr;
    if (first) {
      first_worker_.conn = PgConn::connect(catalog.node_conninfo(*first), "pgload");
      // A plain PostgreSQL worker (the local cluster) has no writers of its own to serialize with.
      if (first_worker_.conn.scalar("SELECT to_regprocedure('pg_catalog.lock_shard_resources(integer,bigint[])')")) {
        begin_lock_txn(first_worker_.conn, lock_timeout_ms);
        first_worker_.open = true;
        try {
          first_worker_.conn.run("SELECT pg_catalog.lock_shard_resources(3, " + id_array(shard_ids(table)) + ")");
        } catch (const PgError& e) {
          if (e.sqlstate() != "55P03") throw;
          throw LoadError(kExitCluster, "gave up after " + std::to_string(lock_timeout_ms.value_or(0)) +
                                            " ms (lock timeout) waiting for a write to reference table " + name +
                                            " on the first worker " + first->endpoint() + "; nothing was loaded");
        }
      } else {
        first_worker_.conn = PgConn();
      }
    }
    coordinator_.conn = PgConn::connect(session_conninfo(catalog.coordinator()), "pgload");
    const PgConn& conn = coordinator_.conn;
    begin_lock_txn(conn, lock_timeout_ms);
    coordinator_.open = true;
    // Citus's COPY opens the table with RowExclusiveLock first: DDL and table rewrites wait for the load. lock_timeout
    // bounds this wait as it bounds the shard lock's.
    try {
      conn.exec("SELECT pg_catalog.lock_relation_if_exists($1, 'ROW EXCLUSIVE')", {name});
    } catch (const PgError& e) {
      if (e.sqlstate() == "55P03")
        throw LoadError(kExitCluster, "gave up after " + std::to_string(lock_timeout_ms.value_or(0)) +
                                          " ms (lock timeout) waiting for a lock on " + name +
                                          " held by a schema change or table rewrite; nothing was loaded");
      if (e.sqlstate() == "42883")
        throw LoadError(kExitCluster, "the coordinator " + e.endpoint() +
                                          " has no lock_relation_if_exists(text, text) (a local cluster made by an "
                                          "older pgcluster: load cluster/catalog.sql's definitions or re-create it); "
                                          "nothing was loaded");
      throw;
    }
    conn.run("SELECT set_config('lock_timeout', '0', true)");
    ShardLockOptions opts;
    opts.mode = ShardLockMode::Share;
    opts.lock_timeout_ms = lock_timeout_ms;
    opts.on_wait = std::move(on_wait);
    std::vector<int64_t> locked;
    // The shard set can only change by a split or re-creation; lock the new set too, a few times at most.
    for (int attempt = 0;; ++attempt) {
      std::vector<int64_t> wanted = shard_ids(table);
      std::vector<int64_t> missing;
      std::set_difference(wanted.begin(), wanted.end(), locked.begin(), locked.end(), std::back_inserter(missing));
      if (missing.empty()) break;
      if (attempt == 3)
        throw LoadError(kExitCluster,
                        "the shards of " + name + " keep changing while pgload locks them; nothing was loaded");
      lock_shards(conn, missing, opts);
      // SerializeNonCommutativeWrites: RowExclusive on each shard's resource lock, after the metadata lock, in
      // shard id order as Citus takes them (a reference table's UPDATE/DELETE takes it exclusively).
      conn.run("SELECT pg_catalog.lock_shard_resources(3, " + id_array(missing) + ")");
      locked.insert(locked.end(), missing.begin(), missing.end());
      std::sort(locked.begin(), locked.end());
      // Read on the catalog's session, after the locks are granted: a move that held them has committed by then.
      catalog.reload_nodes();
      Table fresh = catalog.table(name);
      if (!same_columns(fresh, table))
        throw LoadError(kExitCluster, "the columns of " + name + " changed while pgload started; nothing was loaded");
      table = std::move(fresh);
    }
  } catch (const ShardLockError& e) {
    (void)release();
    if (e.kind() == ShardLockError::Kind::NotOwner)
      throw LoadError(kExitCluster, std::string(e.what()) +
                                        ". pgload holds Citus's shard metadata lock for the whole load so that a "
                                        "concurrent shard move cannot lose rows, and that lock needs the table's "
                                        "owner (or a member of the owner's role); nothing was loaded");
    throw LoadError(kExitCluster, std::string(e.what()) + "; nothing was loaded");
  } catch (const PgError& e) {
    (void)release();
    throw LoadError(kExitCluster, "locking " + name + " and reading its placements failed: " + std::string(e.what()) +
                                      "; nothing was loaded");
  } catch (...) {
    (void)release();
    throw;
  }
}

LoadLock::~LoadLock() {
  if (!keep_) (void)release();
}

void LoadLock::prepare(const std::string& gid) {
  for (Txn* t : {&first_worker_, &coordinator_}) {
    if (!t->open) continue;
    try {
      t->conn.run("PREPARE TRANSACTION " + quote_literal(gid));
    } catch (const PgError& e) {
      t->open = false;  // a failed PREPARE ends the transaction (rolled back), and a lost session has ended it too
      throw LoadError(kExitCluster, "could not keep the load's locks for the commit (PREPARE TRANSACTION on " +
                                        e.endpoint() + ": " + e.server_message() +
                                        "); every shard was rolled back, nothing was loaded");
    }
    t->open = false;
    t->gid = gid;
  }
}

std::optional<std::string> LoadLock::end(Txn& t) noexcept {
  if (t.open) {
    t.open = false;
    // Nothing was written in this transaction: ending it only drops the locks, and a failure here changes nothing.
    PQclear(PQexec(t.conn.raw(), "ROLLBACK"));
  }
  if (t.gid.empty()) return std::nullopt;
  const std::string gid = std::exchange(t.gid, "");
  try {
    t.conn.run("ROLLBACK PREPARED " + quote_literal(gid));
  } catch (const std::exception& e) {
    return "the load's prepared lock " + gid + " could not be released (" + std::string(e.what()) +
           "); shard moves of the table wait until `pgload recover` (or the next load) releases it";
  }
  return std::nullopt;
}

std::optional<std::string> LoadLock::release() noexcept {
  // The coordinator's first: the reverse of the order they were taken in.
  std::optional<std::string> a = end(coordinator_), b = end(first_worker_);
  if (a && b) return *a + "; " + *b;
  return a ? a : b;
}

}  // namespace pgload

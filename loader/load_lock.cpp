// The lock transaction shares the catalog's coordinator connection so the catalog re-read happens inside it, after
// the lock is granted; commit decisions use a connection of their own (they must commit while this stays open).
#include "loader/load_lock.h"

#include <algorithm>
#include <iterator>
#include <vector>

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

}  // namespace

LoadLock::LoadLock(Catalog& catalog, Table& table, std::optional<int64_t> lock_timeout_ms,
                   std::function<void(const std::string&)> on_wait)
    : conn_(catalog.coordinator()) {
  const std::string name = table.qualified();
  try {
    // READ COMMITTED whatever the user's default: the re-read below must see the placements as of after the lock.
    conn_.run("BEGIN ISOLATION LEVEL READ COMMITTED");
    open_ = true;
    // The transaction stays idle while the load streams; a server-side idle timeout would drop the lock.
    conn_.run("SELECT set_config('idle_in_transaction_session_timeout', '0', true)");
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
      lock_shards(conn_, missing, opts);
      locked.insert(locked.end(), missing.begin(), missing.end());
      std::sort(locked.begin(), locked.end());
      catalog.reload_nodes();
      Table fresh = catalog.table(name);
      if (!same_columns(fresh, table))
        throw LoadError(kExitCluster, "the columns of " + name + " changed while pgload started; nothing was loaded");
      table = std::move(fresh);
    }
  } catch (const ShardLockError& e) {
    release();
    if (e.kind() == ShardLockError::Kind::NotOwner)
      throw LoadError(kExitCluster, std::string(e.what()) +
                                        ". pgload holds Citus's shard metadata lock for the whole load so that a "
                                        "concurrent shard move cannot lose rows, and that lock needs the table's "
                                        "owner (or a member of the owner's role); nothing was loaded");
    throw LoadError(kExitCluster, std::string(e.what()) + "; nothing was loaded");
  } catch (const PgError& e) {
    release();
    throw LoadError(kExitCluster, "reading " + name + "'s placements under the shard lock failed: " +
                                      std::string(e.what()) + "; nothing was loaded");
  } catch (...) {
    release();
    throw;
  }
}

LoadLock::~LoadLock() { release(); }

void LoadLock::check_held() const {
  try {
    conn_.run("SELECT 1");
  } catch (const PgError& e) {
    throw LoadError(kExitCluster, "lost the coordinator session holding the shard lock (" + e.server_message() +
                                      ") before the commit decision; every shard was rolled back, nothing was loaded");
  }
}

void LoadLock::release() noexcept {
  if (!open_) return;
  open_ = false;
  // Nothing was written in this transaction: ending it only drops the lock, and a failure here changes nothing.
  PGresult* r = PQexec(conn_.raw(), "ROLLBACK");
  PQclear(r);
}

}  // namespace pgload

// SQL of the Citus switch. The coordinator's part mirrors TransferShards (InsertCleanupRecordsForShardPlacementsOnNode,
// InsertShardPlacementRow, DropShardPlacementsFromMetadata); the workers' part mirrors
// UpdateColocatedShardPlacementMetadataOnWorkers, which keeps each worker's placement id (only the coordinator
// gets new ones).
#include "mover/citus/citus_switch.h"

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/at_once.h"

namespace pgload {

namespace {
constexpr int kCleanupShardPlacement = 1;     // CLEANUP_OBJECT_SHARD_PLACEMENT
constexpr int kCleanupDeferredOnSuccess = 2;  // CLEANUP_DEFERRED_ON_SUCCESS: dropped once the operation is over
// pgmove's own gid namespace: pgload's recovery rolls back dead pgload_ gids, which must never include a switch.
const char* const kGidPrefix = "pgmove_";
// What pgmove used before; a switch of that form may still be prepared after an upgrade, so recovery finds both.
const char* const kOldGidPrefix = "pgload_move_";

// The pool key of a metadata worker's session tied to coordinator backend `gpid`, and how it is opened: named the
// way the coordinator names its own sessions, which citus_internal_update_placement_metadata requires.
std::string metadata_session_key(const Node& n, const std::string& gpid) {
  return "metadata " + n.endpoint() + " gpid " + gpid;
}
PgConn connect_metadata_session(const std::string& conninfo, const std::string& gpid) {
  return PgConn::connect(conninfo, "citus_internal gpid=" + gpid);
}

void rollback_quietly(const PgConn& c) noexcept {
  if (c && PQstatus(c.raw()) == CONNECTION_OK && PQtransactionStatus(c.raw()) != PQTRANS_IDLE)
    PQclear(PQexec(c.raw(), "ROLLBACK"));
}
}  // namespace

std::string citus_switch_gid(int64_t move_id, int32_t group_id) {
  return kGidPrefix + std::to_string(move_id) + "_" + std::to_string(group_id);
}

const char* const CitusMetadataWorkers::kGroupsSql =
    "ARRAY(SELECT groupid FROM pg_catalog.pg_dist_node WHERE hasmetadata AND metadatasynced AND isactive "
    "AND noderole = 'primary' AND groupid <> 0 ORDER BY groupid)";

CitusMetadataWorkers::CitusMetadataWorkers(const Catalog& catalog, const std::vector<int32_t>& groups,
                                           const std::string& coordinator_gpid, SessionPool& pool) {
  std::vector<std::pair<std::string, std::string>> sessions;  // pool key, conninfo
  for (const int32_t group : groups) {
    const Node* n = catalog.node_for_group(group);
    if (!n) continue;
    workers_.push_back({*n, PgConn(), "", metadata_session_key(*n, coordinator_gpid)});
    sessions.emplace_back(workers_.back().key, catalog.node_conninfo(*n));
  }
  // New sessions (a run's first move) are opened at the same time: each is a new backend on its worker.
  auto conns = at_once(sessions, [&pool, &coordinator_gpid](const std::pair<std::string, std::string>& s) {
    return pool.take(s.first, [&] { return connect_metadata_session(s.second, coordinator_gpid); });
  });
  for (size_t i = 0; i < conns.size(); ++i) workers_[i].conn = std::move(conns[i]);
}

void CitusMetadataWorkers::warm(const std::vector<std::pair<Node, std::string>>& nodes,
                                const std::string& coordinator_gpid, const std::vector<int64_t>& shard_ids,
                                SessionPool& pool) noexcept {
  try {
    std::vector<PgConn> conns = at_once(nodes, [&coordinator_gpid](const std::pair<Node, std::string>& node) {
      try {
        return connect_metadata_session(node.second, coordinator_gpid);
      } catch (const std::exception&) {
        return PgConn();
      }
    });
    std::vector<const PgConn*> sessions;
    const std::string sql = "BEGIN; SELECT pg_catalog.lock_shard_metadata(1, " +
                            quote_literal(array_literal(shard_ids)) + "::bigint[]); ROLLBACK";
    for (const auto& c : conns)
      if (c) sessions.push_back(&c);
    (void)run_concurrently(sessions, std::vector<std::string>(sessions.size(), sql));
    for (size_t i = 0; i < conns.size(); ++i) {
      if (!conns[i]) continue;
      rollback_quietly(conns[i]);
      pool.give(metadata_session_key(nodes[i].first, coordinator_gpid), std::move(conns[i]));
    }
  } catch (const std::exception&) {
  }
}

CitusMetadataWorkers::~CitusMetadataWorkers() { rollback(); }

void CitusMetadataWorkers::lock(const std::vector<int64_t>& shard_ids, const ShardLockOptions& options) {
  // On every worker at the same time: the coordinator's lock, taken first, keeps every other move out, and no
  // writer holds a worker's lock while waiting for another worker's, so their order cannot deadlock.
  at_once(workers_, [&shard_ids, &options](const Worker& w) {
    w.conn.run("BEGIN");
    lock_shards(w.conn, shard_ids, options);
  });
}

void CitusMetadataWorkers::send_prepare(const MoveUnit& u, int64_t move_id) {
  // One statement string per worker (its placement updates and the PREPARE), all sent before any is waited for:
  // the workers write their two-phase state at the same time. Ids are integers, the gid is quoted.
  std::string updates;
  for (const auto& s : u.shards)
    updates += "SELECT pg_catalog.citus_internal_update_placement_metadata(" + std::to_string(s.shard_id) +
               "::bigint, " + std::to_string(u.source.group_id) + ", " + std::to_string(u.target.group_id) + ");";
  for (auto& w : workers_) {
    w.pending_gid = citus_switch_gid(move_id, w.node.group_id);
    w.pending_sql = (PQtransactionStatus(w.conn.raw()) == PQTRANS_IDLE ? "BEGIN;" : "") + updates +
                    "PREPARE TRANSACTION " + quote_literal(w.pending_gid);
    try {
      w.conn.send(w.pending_sql);
      w.sent = true;
    } catch (...) {
      w.sent = false;
    }
  }
}

void CitusMetadataWorkers::await_prepare() {
  std::exception_ptr first;
  for (auto& w : workers_) {
    try {
      if (!w.sent) throw std::runtime_error("could not send the switch to " + w.node.endpoint());
      w.sent = false;
      w.conn.collect(w.pending_sql);
      w.gid = w.pending_gid;  // prepared: rollback() and recovery now roll it back by name
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void CitusMetadataWorkers::commit_prepared() {
  std::vector<const PgConn*> sessions;
  std::vector<std::string> sql;
  std::vector<Worker*> committing;
  for (auto& w : workers_) {
    if (w.gid.empty()) continue;
    sessions.push_back(&w.conn);
    sql.push_back("COMMIT PREPARED " + quote_literal(w.gid));
    committing.push_back(&w);
  }
  const auto errors = run_concurrently(sessions, sql);
  std::exception_ptr first;
  for (size_t i = 0; i < errors.size(); ++i) {
    if (!errors[i])
      committing[i]->gid.clear();
    else if (!first)
      first = errors[i];
  }
  if (first) std::rethrow_exception(first);
}

void CitusMetadataWorkers::release(SessionPool& pool) {
  for (auto& w : workers_)
    if (w.gid.empty()) pool.give(w.key, std::move(w.conn));
  workers_.clear();
}

void CitusMetadataWorkers::rollback() noexcept {
  for (auto& w : workers_) {
    if (!w.conn || PQstatus(w.conn.raw()) != CONNECTION_OK) continue;
    if (w.sent) {  // a switch sent and never awaited: its outcome is read first (prepared or not)
      w.sent = false;
      try {
        w.conn.collect(w.pending_sql);
        w.gid = w.pending_gid;
      } catch (...) {
      }
    }
    if (!w.gid.empty()) {
      PQclear(PQexec(w.conn.raw(), ("ROLLBACK PREPARED " + quote_literal(w.gid)).c_str()));
      w.gid.clear();
    } else {
      rollback_quietly(w.conn);
    }
  }
}

void switch_coordinator_placements(const PgConn& coord, const MoveUnit& u) {
  const std::string ids = array_literal(u.shard_ids());
  const std::string src = std::to_string(u.source.group_id), dst = std::to_string(u.target.group_id);
  // Citus's own spelling of the shard name (quote_qualified_identifier of AppendShardIdToName's name, which
  // citus_shard_name mirrors): its cleaner and its moves match on it.
  std::vector<int64_t> sorted_ids;
  std::vector<std::string> schemas, names;
  for (const auto& s : u.shards)
    sorted_ids.push_back(s.shard_id), schemas.push_back(s.schema), names.push_back(s.table_name);
  // One round trip (libpq's pipeline mode; the server runs them in order and stops at the first failure).
  const std::vector<PgResult> r = coord.exec_pipelined(
      {{"INSERT INTO pg_catalog.pg_dist_cleanup (record_id, operation_id, object_type, object_name, node_group_id, "
        "policy_type) SELECT nextval('pg_catalog.pg_dist_cleanup_recordid_seq'), op.id, $3::int, "
        "quote_ident(s.nsp) || '.' || quote_ident(s.name), $2::int, $4::int "
        "FROM unnest($1::bigint[], $5::text[], $6::text[]) AS s(shardid, nsp, name) "
        "CROSS JOIN (SELECT nextval('pg_catalog.pg_dist_operationid_seq') AS id) op ORDER BY s.shardid",
        {array_literal(sorted_ids), src, std::to_string(kCleanupShardPlacement),
         std::to_string(kCleanupDeferredOnSuccess), array_literal(schemas), array_literal(names)}},
       {"INSERT INTO pg_catalog.pg_dist_placement (placementid, shardid, shardstate, shardlength, groupid) "
        "SELECT nextval('pg_catalog.pg_dist_placement_placementid_seq'), shardid, 1, shardlength, $2::int "
        "FROM pg_catalog.pg_dist_placement WHERE shardid = ANY($1::bigint[]) AND groupid = $3::int ORDER BY shardid",
        {ids, dst, src}},
       {"DELETE FROM pg_catalog.pg_dist_placement WHERE shardid = ANY($1::bigint[]) AND groupid = $2::int",
        {ids, src}}});
  const PgResult& del = r[2];
  std::string deleted = PQcmdTuples(del.raw());
  if (deleted != std::to_string(u.shards.size()))
    throw std::runtime_error("pg_dist_placement changed during the move: found " + deleted + " of " +
                             std::to_string(u.shards.size()) + " source placements");
}

int resolve_citus_switch(const Catalog& catalog, int64_t move_id, bool commit) {
  int resolved = 0;
  // LIKE patterns: '_' is escaped so that pgmove_1_% does not match pgmove_12_3.
  const std::string like = std::string(kGidPrefix) + std::to_string(move_id) + "\\_%";
  const std::string old_like = std::string(kOldGidPrefix) + std::to_string(move_id) + "\\_%";
  for (const auto& n : catalog.nodes()) {
    if (n.is_coordinator() || !n.is_active || n.role != "primary") continue;
    PgConn c = PgConn::connect(catalog.node_conninfo(n), "pgmove-recovery");
    auto gids =
        c.exec("SELECT gid FROM pg_prepared_xacts WHERE (gid LIKE $1 OR gid LIKE $2) AND database = current_database()",
               {like, old_like});
    for (int i = 0; i < gids.rows(); ++i) {
      c.run(std::string(commit ? "COMMIT PREPARED " : "ROLLBACK PREPARED ") + quote_literal(gids.str(i, 0)));
      ++resolved;
    }
  }
  return resolved;
}

}  // namespace pgload

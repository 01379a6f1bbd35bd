#include "mover/citus/citus_backend.h"

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/conninfo.h"
#include "common/shard_lock.h"
#include "mover/citus/citus_switch.h"
#include "mover/move/move_context.h"
#include "mover/move/move_recovery.h"
#include "mover/move/replication.h"

namespace pgload {

namespace {

// The DDL pgmove can recreate is a plain heap table's; anything else (partitioned shards, columnar) is Citus's.
// Returns the table's owner (in the same query).
std::string check_shard_kind(const PgConn& source, const std::string& relation) {
  auto r = source.exec(
      "SELECT c.relkind::text, coalesce(a.amname, ''), pg_get_userbyid(c.relowner) FROM pg_class c "
      "LEFT JOIN pg_am a ON a.oid = c.relam WHERE c.oid = $1::regclass",
      {relation});
  if (r.rows() != 1 || r.str(0, 0) != "r" || r.str(0, 1) != "heap")
    throw std::runtime_error(relation + " is not a plain heap table (relkind " + (r.rows() ? r.str(0, 0) : "?") +
                             ", access method " + (r.rows() ? r.str(0, 1) : "?") + "); move it with --citus-native");
  return r.str(0, 2);
}

// An int[]'s text form, {1,2,3}, as numbers.
std::vector<int64_t> parse_int_array(std::string_view v) {
  std::vector<int64_t> out;
  std::string item;
  for (const char c : v) {
    if (c >= '0' && c <= '9') {
      item.push_back(c);
    } else if (!item.empty()) {
      out.push_back(std::stoll(item));
      item.clear();
    }
  }
  return out;
}

// Cleanup records (pg_dist_cleanup) of the unit's shards: their names come from citus_shard_name (long names are
// shortened), spelled as Citus's quote_qualified_identifier spells them.
const char* const kCleanupRecordsSql =
    "SELECT count(*) FROM unnest($1::text[], $2::text[]) AS s(nsp, name) JOIN pg_catalog.pg_dist_cleanup c ON "
    "c.object_name = quote_ident(s.nsp) || '.' || quote_ident(s.name)";

Params cleanup_record_params(const MoveUnit& u) {
  std::vector<std::string> schemas, names;
  for (const auto& s : u.shards) schemas.push_back(s.schema), names.push_back(s.table_name);
  return {array_literal(schemas), array_literal(names)};
}

// Old cleanup records of these shards would make Citus's cleaner drop the placement this move creates, so they
// go first (Citus's own move does the same, DropOrphanedResourcesInSeparateTransaction). `records` is the count
// kCleanupRecordsSql found.
void drop_orphaned_resources(const PgConn& coord, const MoveUnit& u, const std::string& records) {
  if (records == "0") return;
  coord.run("CALL pg_catalog.citus_cleanup_orphaned_resources()");
  if (coord.scalar(kCleanupRecordsSql, cleanup_record_params(u)).value_or("0") != "0")
    throw std::runtime_error("Citus still has cleanup records (pg_dist_cleanup) for the shards of " + u.what() +
                             "; run CALL citus_cleanup_orphaned_resources() and retry");
}

// Citus 13.0.5's move takes its placement-colocation lock (ExclusiveLock, without waiting) so that no other move,
// copy or split of the colocation group runs at the same time. Later Citus versions expose it as
// citus_internal.acquire_placement_colocation_lock; 13.0.5 has no SQL for it, so there pgmove refuses to start
// while another session holds it (Citus's operations hold it for their whole run). One round trip reads the
// group, whether the function exists and, for 13.0.5, who holds the lock; a second one takes it where it exists.
void take_placement_colocation_lock(const PgConn& coord, const MoveUnit& u) {
  auto r = coord.exec(
      "SELECT p.colocationid::text, "
      "to_regprocedure('citus_internal.acquire_placement_colocation_lock(bigint,integer)') IS NOT NULL, "
      "(SELECT string_agg(a.pid || ' (' || coalesce(nullif(a.application_name, ''), a.usename::text) || ')', ', ')"
      " FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
      " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 13 AND l.classid = 0::oid"
      "   AND l.objid = p.colocationid::bigint::oid AND l.pid <> pg_catalog.pg_backend_pid()"
      "   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))"
      " FROM pg_catalog.pg_dist_shard s JOIN pg_catalog.pg_dist_partition p USING (logicalrelid) WHERE s.shardid = $1",
      {std::to_string(u.request.shard_id)});
  const std::string colocation = r.rows() ? r.str(0, 0) : "0";
  if (colocation == "0") return;
  if (r.boolean(0, 1)) {
    if (coord.scalar("SELECT citus_internal.acquire_placement_colocation_lock($1::bigint, 7)::text", {colocation}) !=
        "0")
      return;
  } else {
    if (r.is_null(0, 2)) return;
    throw std::runtime_error("a Citus shard move, copy or split of colocation group " + colocation +
                             " is under way (session " + r.str(0, 2) + "); retry " + u.what() + " when it is done");
  }
  throw std::runtime_error("a Citus shard move, copy or split of colocation group " + colocation +
                           " is under way; retry " + u.what() + " when it is done");
}

// Citus 13.0.5's LockColocatedRelationsForMove: ShareUpdateExclusive on every distributed table of the unit, on
// the coordinator. It conflicts with every DDL Citus propagates (CREATE INDEX [CONCURRENTLY], ALTER TABLE,
// statistics, TRUNCATE) and with another move of the same tables, and not with reads or writes. Opens the
// coordinator's transaction: BEGIN and the tables' names in one round trip.
void lock_colocated_relations(const PgConn& coord, const MoveUnit& u, const ShardLockOptions& lock) {
  auto r = coord.exec_pipelined(
      {{"BEGIN", {}},
       {"SELECT string_agg(logicalrelid::regclass::text, ', ' ORDER BY logicalrelid::oid) FROM "
        "(SELECT DISTINCT logicalrelid FROM pg_catalog.pg_dist_shard WHERE shardid = ANY($1::bigint[])) s",
        {array_literal(u.shard_ids())}}});
  if (r[1].rows() != 1 || r[1].is_null(0, 0))
    throw std::runtime_error("the shards of " + u.what() + " are no longer in pg_dist_shard");
  lock_waiting(coord, "LOCK TABLE " + r[1].str(0, 0) + " IN SHARE UPDATE EXCLUSIVE MODE", u.shard_ids(), lock);
}

class CitusUnitMove : public UnitMove {
 public:
  CitusUnitMove(MoveContext& run, SessionPool& pool, const MoveUnit& u)
      : run_(run),
        pool_(pool),
        unit_(u),
        source_info_(run.catalog.node_conninfo(u.source)),
        target_info_(run.catalog.node_conninfo(u.target)),
        source_key_("worker " + u.source.endpoint()),
        target_key_("worker " + u.target.endpoint()) {}

  PgConn connect_coordinator() override {
    return pool_.take("coordinator", [&] { return PgConn::connect(run_.coordinator_conninfo, "pgmove"); });
  }
  PgConn connect_source(const std::string& purpose) override {
    if (purpose != "source") return connect_citus_worker(source_info_, "pgmove-" + purpose);
    return pool_.take(source_key_, [&] { return connect_citus_worker(source_info_, "pgmove-source"); });
  }
  PgConn connect_target(const std::string& purpose) override {
    return pool_.take(target_key_, [&] { return connect_citus_worker(target_info_, "pgmove-" + purpose); });
  }
  PgConn connect_replication() override { return pool_.take_replication(unit_.source.endpoint(), source_info_); }
  void release_replication(PgConn replication) override {
    pool_.give_replication(unit_.source.endpoint(), std::move(replication));
  }
  // The subscription learns its tables from the source's pg_publication_tables, a pg_class view in which Citus
  // hides shards: without the setting it subscribes to nothing and silently skips every change.
  // No password: Citus completes the stored conninfo with its node-to-node authentication (citus_use_authinfo:
  // pg_dist_authinfo and citus.node_conninfo), as its own moves' subscriptions do.
  std::string publisher_conninfo() const override {
    return conninfo_without_secrets(source_info_) + " options='-c citus.show_shards_for_app_name_prefixes=*'";
  }
  std::string subscription_options() const override { return ", citus_use_authinfo = true"; }
  void release(PgConn coord, PgConn source, PgConn target) override {
    if (workers_) workers_->release(pool_);
    pool_.give(source_key_, std::move(source));
    pool_.give(target_key_, std::move(target));
    pool_.give("coordinator", std::move(coord));
  }

  bool writes_take_shard_lock() const noexcept override { return true; }
  // One round trip: the unit's cleanup records, this session's gpid and the metadata workers.
  void start(const PgConn& coord) override {
    auto r =
        coord.exec(std::string("SELECT (") + kCleanupRecordsSql + ")::text, pg_catalog.citus_backend_gpid()::text, " +
                       CitusMetadataWorkers::kGroupsSql + "::text",
                   cleanup_record_params(unit_));
    drop_orphaned_resources(coord, unit_, r.str(0, 0));
    std::vector<int32_t> groups;
    for (const int64_t g : parse_int_array(r.get(0, 2))) groups.push_back(static_cast<int32_t>(g));
    workers_.emplace(run_.catalog, groups, r.str(0, 1), pool_);
  }
  std::string check_source_table(const PgConn& source, const UnitShard& s) override {
    return check_shard_kind(source, s.relation);
  }
  // Held from here until the switch commits, in the transaction that commits it, as Citus's move holds them: DDL
  // through the coordinator waits for the move (and then reaches the new placement too), and no DDL can be half
  // seen. In the coordinator's transaction rather than another session, so that this move's own later lock
  // requests go ahead of a DDL queued behind them instead of waiting for it.
  void lock_definitions(const PgConn& coord, const ShardLockOptions& lock) override {
    lock_colocated_relations(coord, unit_, lock);
    take_placement_colocation_lock(coord, unit_);
  }
  // Citus's shard metadata lock on the metadata workers too: a write through any node waits where Citus's own move
  // would make it wait.
  void block_writes(const PgConn&, const ShardLockOptions& lock) override { workers_->lock(unit_.shard_ids(), lock); }
  // The workers prepare their parts while the coordinator writes its own; all are prepared before it commits.
  void switch_placements(const PgConn& coord, int64_t move_id) override {
    workers_->send_prepare(unit_, move_id);
    try {
      switch_coordinator_placements(coord, unit_);
    } catch (...) {
      try {
        workers_->await_prepare();  // read before the rollback, which then undoes what prepared
      } catch (...) {
      }
      throw;
    }
    workers_->await_prepare();
    run_.step(unit_, "prepared");
  }
  // The workers' prepared parts commit; the old placement is pg_dist_cleanup's.
  void finish(const PgConn&) override {
    run_.step(unit_, "switched");
    workers_->commit_prepared();
  }
  void abort() noexcept override {
    if (workers_) workers_->rollback();
  }

 private:
  MoveContext& run_;
  SessionPool& pool_;
  const MoveUnit& unit_;
  const std::string source_info_, target_info_, source_key_, target_key_;
  std::optional<CitusMetadataWorkers> workers_;
};

}  // namespace

std::vector<uint64_t> CitusBackend::unit_sizes(const std::vector<MoveUnit>& units) {
  // One query per source node, for all the units it holds.
  std::map<std::string, std::vector<size_t>> by_source;  // endpoint -> unit indexes
  for (size_t i = 0; i < units.size(); ++i) by_source[units[i].source.endpoint()].push_back(i);
  std::vector<uint64_t> sizes(units.size(), 0);
  for (const auto& [endpoint, indexes] : by_source) {
    std::vector<std::string> relations;
    std::vector<int64_t> unit_of;
    for (const size_t i : indexes)
      for (const auto& rel : units[i].relations()) relations.push_back(rel), unit_of.push_back(static_cast<int64_t>(i));
    const std::string key = "worker " + endpoint;
    const Node& node = units[indexes.front()].source;
    PgConn src = sessions_.take(key, [&] { return connect_citus_worker(catalog_.node_conninfo(node), "pgmove"); });
    auto r = src.exec(
        "SELECT u, coalesce(sum(pg_total_relation_size(to_regclass(x))), 0) FROM unnest($1::text[], $2::bigint[]) "
        "AS r(x, u) GROUP BY u",
        {array_literal(relations), array_literal(unit_of)});
    for (int row = 0; row < r.rows(); ++row)
      sizes.at(static_cast<size_t>(r.i64(row, 0))) = static_cast<uint64_t>(r.i64(row, 1));
    sessions_.give(key, std::move(src));
  }
  return sizes;
}

void CitusBackend::warm_up(const std::vector<MoveRequest>& moves) {
  if (moves.empty()) return;
  // What the background thread needs is copied here: the catalog changes meanwhile (recovery, reload_nodes).
  std::vector<int64_t> shard_ids;
  for (const auto& m : moves) shard_ids.push_back(m.shard_id);
  std::map<int32_t, std::pair<Node, std::string>> workers;  // group -> node and its conninfo
  for (const auto& n : catalog_.nodes())
    if (!n.is_coordinator()) workers.emplace(n.group_id, std::make_pair(n, catalog_.node_conninfo(n)));
  warm_ = std::async(std::launch::async, [this, conninfo = coordinator_conninfo(catalog_), shard_ids, workers] {
    try {
      PgConn coord = PgConn::connect(conninfo, "pgmove");
      // Citus opens its connections to the metadata workers for the first lock it propagates (the move's lock on
      // its tables): a lock that conflicts only with ACCESS EXCLUSIVE, bounded, rolled back.
      auto tables = coord.scalar(
          "SELECT string_agg(r::regclass::text, ', ' ORDER BY r::oid) FROM "
          "(SELECT DISTINCT logicalrelid AS r FROM pg_catalog.pg_dist_shard WHERE shardid = ANY($1::bigint[])) s",
          {array_literal(shard_ids)});
      const std::string gpid = coord.scalar("SELECT pg_catalog.citus_backend_gpid()::text").value_or("0");
      std::vector<std::pair<Node, std::string>> metadata;
      for (const int64_t g : parse_int_array(
               coord.scalar(std::string("SELECT ") + CitusMetadataWorkers::kGroupsSql + "::text").value_or("{}")))
        if (auto it = workers.find(static_cast<int32_t>(g)); it != workers.end()) metadata.push_back(it->second);
      auto metadata_warm =
          std::async(std::launch::async, [&] { CitusMetadataWorkers::warm(metadata, gpid, shard_ids, sessions_); });
      if (tables) {
        try {
          coord.run("BEGIN; SET LOCAL lock_timeout = 200; LOCK TABLE " + *tables + " IN ACCESS SHARE MODE; ROLLBACK");
        } catch (const PgError&) {
          if (PQtransactionStatus(coord.raw()) == PQTRANS_INERROR) PQclear(PQexec(coord.raw(), "ROLLBACK"));
        }
      }
      metadata_warm.wait();
      sessions_.give("coordinator", std::move(coord));
    } catch (const std::exception&) {
      // The first move opens what is missing and reports what fails.
    }
  });
}

std::unique_ptr<UnitMove> CitusBackend::begin(MoveContext& run, const MoveUnit& u) {
  {
    std::lock_guard lock(warm_mu_);
    if (warm_.valid()) warm_.wait();
  }
  return std::make_unique<CitusUnitMove>(run, sessions_, u);
}

bool CitusBackend::resolve_orphan(MoveJournal& journal, const JournalEntry& e) {
  const Node* src = catalog_.node_for_group(e.source_group);
  const Node* dst = catalog_.node_for_group(e.target_group);
  const std::string repl = replication_name(e.move_id);
  if (e.state == "started") {
    // The coordinator never committed: prepared worker parts are rolled back, the partial target goes.
    resolve_citus_switch(catalog_, e.move_id, /*commit=*/false);
    if (dst) {
      PgConn t = connect_citus_worker(catalog_.node_conninfo(*dst), "pgmove-recovery");
      drop_subscription(t, repl);
      // Only what the catalog proves is nobody's: no placement there, and no cleanup record (a Citus move to the
      // same node that is under way or failed owns its tables; Citus's cleaner drops them).
      for (const auto& rel : droppable_relations(catalog_.coordinator(), e, e.target_group)) {
        if (catalog_.coordinator()
                .scalar("SELECT 1 FROM pg_catalog.pg_dist_cleanup WHERE object_name = $1 AND node_group_id = $2",
                        {rel, std::to_string(e.target_group)})
                .has_value())
          continue;
        t.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
      }
    }
    if (src) drop_slot_and_publication(connect_citus_worker(catalog_.node_conninfo(*src), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "aborted", "cleaned by recovery: partial target dropped");
    return true;
  }
  if (e.state == "switched") {
    // The coordinator committed: the workers' parts follow; the old placement is pg_dist_cleanup's.
    resolve_citus_switch(catalog_, e.move_id, /*commit=*/true);
    if (dst) drop_subscription(connect_citus_worker(catalog_.node_conninfo(*dst), "pgmove-recovery"), repl);
    if (src) drop_slot_and_publication(connect_citus_worker(catalog_.node_conninfo(*src), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "done", "finished by recovery: prepared worker metadata committed");
    return true;
  }
  return false;
}

}  // namespace pgload

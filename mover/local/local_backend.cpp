#include "mover/local/local_backend.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/conninfo.h"
#include "common/shard_lock.h"
#include "mover/move/move_recovery.h"
#include "mover/move/replication.h"

namespace pgload {

namespace {

class LocalUnitMove : public UnitMove {
 public:
  LocalUnitMove(const MoveContext& run, SessionPool& pool, const MoveUnit& u)
      : run_(run),
        pool_(pool),
        unit_(u),
        sid_(std::to_string(u.request.shard_id)),
        source_info_(run.catalog.node_conninfo(u.source)),
        target_info_(run.catalog.node_conninfo(u.target)) {}

  PgConn connect_coordinator() override {
    return pool_.take("coordinator", [&] { return PgConn::connect(run_.coordinator_conninfo, "pgmove"); });
  }
  // The move's own sessions come from the run's pool; others ("cleanup") are fresh. A reused one is renamed after
  // this move, so that pg_stat_activity names the shard it works on.
  PgConn connect_source(const std::string& purpose) override {
    if (purpose != "source") return PgConn::connect(source_info_, "pgmove-" + purpose + "-" + sid_);
    return pooled("source " + unit_.source.endpoint(), source_info_, "pgmove-source-" + sid_);
  }
  PgConn connect_target(const std::string& purpose) override {
    if (purpose != "target") return PgConn::connect(target_info_, "pgmove-" + purpose + "-" + sid_);
    return pooled("target " + unit_.target.endpoint(), target_info_, "pgmove-target-" + sid_);
  }
  PgConn connect_replication() override { return pool_.take_replication(unit_.source.endpoint(), source_info_); }
  void release_replication(PgConn replication) override {
    pool_.give_replication(unit_.source.endpoint(), std::move(replication));
  }
  // The target's server authenticates to the source on its own (trust, or the server's ~/.pgpass).
  std::string publisher_conninfo() const override { return conninfo_without_secrets(source_info_); }
  std::string subscription_options() const override { return ""; }
  void release(PgConn coord, PgConn source, PgConn target) override {
    pool_.give("source " + unit_.source.endpoint(), std::move(source));
    pool_.give("target " + unit_.target.endpoint(), std::move(target));
    pool_.give("coordinator", std::move(coord));
  }

  bool writes_take_shard_lock() const noexcept override { return false; }  // loads only
  void start(const PgConn&) override {}
  std::string check_source_table(const PgConn&, const UnitShard&) override { return ""; }
  // The local cluster carries no DDL from the coordinator's table to its shards: the source's own lock (in the
  // script) is all a definition needs.
  void lock_definitions(const PgConn&, const ShardLockOptions&) override {}
  // Writes through the coordinator wait there, where PostgreSQL sees and breaks deadlocks, and never inside a worker
  // on the locked source shard while holding what the switch's re-pointing (DETACH) needs: that cross-server wait
  // would be a deadlock nobody detects. The lock is on each shard's coordinator partition (named like the shard; the
  // foreign table below it cannot be locked), so reads, writes to other shards, loads (which lock the distributed
  // table itself) and the moves of other shards go on.
  void block_writes(const PgConn& coord, const ShardLockOptions& lock) override {
    std::vector<std::string> faces;
    for (const auto& s : unit_.shards) faces.push_back("ONLY " + s.relation);
    lock_waiting(coord, "LOCK TABLE " + join_sql_list(faces, ", ") + " IN EXCLUSIVE MODE", unit_.shard_ids(), lock);
  }
  void switch_placements(const PgConn& coord, int64_t) override {
    auto upd = coord.exec(
        "UPDATE pg_catalog.pg_dist_placement SET groupid = $1::int WHERE shardid = ANY($2::bigint[]) AND groupid = "
        "$3::int",
        {std::to_string(unit_.target.group_id), array_literal(unit_.shard_ids()),
         std::to_string(unit_.source.group_id)});
    std::string updated = PQcmdTuples(upd.raw());
    if (updated != std::to_string(unit_.shards.size()))
      throw std::runtime_error("pg_dist_placement changed during the move: updated " + updated + " of " +
                               std::to_string(unit_.shards.size()) + " placements");
  }
  // The old shard tables go in the source transaction that held the lock.
  void finish(const PgConn& source) override {
    for (const auto& s : unit_.shards) source.run("DROP TABLE IF EXISTS " + s.relation + " CASCADE");
  }
  void abort() noexcept override {}

 private:
  PgConn pooled(const std::string& key, const std::string& conninfo, const std::string& application_name) {
    bool made = false;
    PgConn c = pool_.take(key, [&] {
      made = true;
      return PgConn::connect(conninfo, application_name);
    });
    if (!made) c.exec("SELECT pg_catalog.set_config('application_name', $1, false)", {application_name});
    return c;
  }

  const MoveContext& run_;
  SessionPool& pool_;
  const MoveUnit& unit_;
  const std::string sid_, source_info_, target_info_;
};

}  // namespace

std::vector<uint64_t> LocalBackend::unit_sizes(const std::vector<MoveUnit>& units) {
  std::vector<uint64_t> sizes;
  // One session per source node, left in the pool for the moves that follow.
  for (const auto& u : units) {
    const std::string key = "source " + u.source.endpoint();
    PgConn src = sessions_.take(key, [&] { return PgConn::connect(catalog_.node_conninfo(u.source), "pgmove"); });
    sizes.push_back(std::stoull(
        src.scalar("SELECT coalesce(sum(pg_total_relation_size(to_regclass(x))), 0) FROM unnest($1::text[]) x",
                   {array_literal(u.relations())})
            .value_or("0")));
    sessions_.give(key, std::move(src));
  }
  return sizes;
}

std::unique_ptr<UnitMove> LocalBackend::begin(MoveContext& run, const MoveUnit& u) {
  return std::make_unique<LocalUnitMove>(run, sessions_, u);
}

bool LocalBackend::resolve_orphan(MoveJournal& journal, const JournalEntry& e) {
  const Node* src = catalog_.node_for_group(e.source_group);
  const Node* dst = catalog_.node_for_group(e.target_group);
  const std::string repl = replication_name(e.move_id);
  const bool logical = e.mode == "logical";
  if (e.state == "started") {
    if (dst) {
      PgConn t = PgConn::connect(catalog_.node_conninfo(*dst), "pgmove-recovery");
      drop_subscription(t, repl);
      for (const auto& rel : droppable_relations(catalog_.coordinator(), e, e.target_group))
        t.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
    }
    if (logical && src)
      drop_slot_and_publication(PgConn::connect(catalog_.node_conninfo(*src), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "aborted", "cleaned by recovery: partial target dropped");
    return true;
  }
  if (e.state == "switched") {
    if (!src) return false;
    PgConn s = PgConn::connect(catalog_.node_conninfo(*src), "pgmove-recovery");
    for (const auto& rel : droppable_relations(catalog_.coordinator(), e, e.source_group))
      s.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
    // The subscription first, as on Citus: its walsender would otherwise hold the slot until drop_slot ends it.
    if (dst && logical) drop_subscription(PgConn::connect(catalog_.node_conninfo(*dst), "pgmove-recovery"), repl);
    if (logical) drop_slot_and_publication(s, repl);
    journal.set_state(e.move_id, "done", "finished by recovery: source shard dropped");
    return true;
  }
  return false;
}

}  // namespace pgload

// pgmove's own move on real Citus, step by step: journal -> target tables (DDL and owner read off the source
// shard) -> copy (block_writes: under Citus's shard metadata lock on the coordinator and the metadata workers from
// the start; logical: under an exported snapshot, then a subscription, locking only for the final catch-up) ->
// indexes -> verify -> the Citus switch (citus_switch) -> replication objects dropped. The old placement is not
// dropped here: pg_dist_cleanup hands it to Citus's cleaner, as Citus's own move does.
#include "mover/citus/citus_direct_move.h"

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/shard_lock.h"
#include "mover/citus/citus_sessions.h"
#include "mover/citus/citus_switch.h"
#include "mover/copy/shard_copy.h"
#include "mover/move/move_cleanup.h"
#include "mover/move/replication.h"
#include "mover/move/unit_copy.h"
#include "mover/move/verify.h"

namespace pgload {

namespace {

// The DDL pgmove can recreate is a plain heap table's; anything else (partitioned shards, columnar) is Citus's.
void check_shard_kind(const PgConn& source, const std::string& relation) {
  auto r = source.exec(
      "SELECT c.relkind::text, coalesce(a.amname, '') FROM pg_class c LEFT JOIN pg_am a ON a.oid = c.relam "
      "WHERE c.oid = $1::regclass",
      {relation});
  if (r.rows() != 1 || r.str(0, 0) != "r" || r.str(0, 1) != "heap")
    throw std::runtime_error(relation + " is not a plain heap table (relkind " + (r.rows() ? r.str(0, 0) : "?") +
                             ", access method " + (r.rows() ? r.str(0, 1) : "?") + "); move it with --citus-native");
}

// Old cleanup records of these shards would make Citus's cleaner drop the placement this move creates, so they
// go first (Citus's own move does the same, DropOrphanedResourcesInSeparateTransaction).
void drop_orphaned_resources(const PgConn& coord, const MoveUnit& u) {
  // The shard names come from citus_shard_name (long names are shortened), spelled as Citus's
  // quote_qualified_identifier spells them.
  const std::string q =
      "SELECT count(*) FROM unnest($1::text[], $2::text[]) AS s(nsp, name) JOIN pg_catalog.pg_dist_cleanup c ON "
      "c.object_name = quote_ident(s.nsp) || '.' || quote_ident(s.name)";
  std::vector<std::string> schemas, names;
  for (const auto& s : u.shards) schemas.push_back(s.schema), names.push_back(s.table_name);
  const Params params{array_literal(schemas), array_literal(names)};
  if (coord.scalar(q, params).value_or("0") == "0") return;
  coord.run("CALL pg_catalog.citus_cleanup_orphaned_resources()");
  if (coord.scalar(q, params).value_or("0") != "0")
    throw std::runtime_error("Citus still has cleanup records (pg_dist_cleanup) for the shards of " + u.what() +
                             "; run CALL citus_cleanup_orphaned_resources() and retry");
}

}  // namespace

void move_citus_direct(MoveContext& run, SessionPool& pool, TokenBucket& bucket, const MoveUnit& u) {
  const auto& opts = run.opts;
  const bool logical = opts.mode == TransferMode::Logical;
  const std::string source_info = run.catalog.node_conninfo(u.source);
  const std::string target_info = run.catalog.node_conninfo(u.target);
  const std::string sid = std::to_string(u.request.shard_id);
  auto connect_target = [&] { return connect_citus_worker(target_info, "pgmove-target"); };
  const std::string source_key = "worker " + u.source.endpoint(), target_key = "worker " + u.target.endpoint();

  PgConn coord = pool.take("coordinator", [&] { return PgConn::connect(run.coordinator_conninfo, "pgmove"); });
  drop_orphaned_resources(coord, u);
  const std::string gpid = coord.scalar("SELECT pg_catalog.citus_backend_gpid()::text").value_or("0");
  MoveJournal journal = MoveJournal::sharing(coord);
  const int64_t move_id = journal.begin(u.shard_ids(), u.relations(), u.source.group_id, u.target.group_id,
                                        logical ? "logical" : "block_writes");
  const std::string repl = replication_name(move_id);
  run.progress.notice_moving(u);
  auto progress = run.progress.add(u.what());

  ShardLockOptions lock_opts;
  lock_opts.mode = ShardLockMode::Exclusive;
  lock_opts.on_wait = [&](const std::string& why) { run.progress.warn(u.what() + ": " + why); };

  PgConn source, target;
  CitusMetadataWorkers workers(run.catalog, gpid, pool);
  bool created_target = false, published = false, switch_in_doubt = false;
  UnitCopy copy(run, u, bucket, progress);
  // Writes wait from here to the switch: Citus's lock on the coordinator, then on the metadata workers (a write
  // through any node waits where Citus's own move would make it wait), then the source shards themselves, so that
  // the checksum compares a still picture even against a writer that bypasses Citus.
  auto block_writes = [&] {
    coord.run("BEGIN");
    lock_shards(coord, u.shard_ids(), lock_opts);
    workers.lock(u.shard_ids(), lock_opts);
    source.run("BEGIN");
    source.run("LOCK TABLE " + join_sql_list(u.relations(), ", ") + " IN EXCLUSIVE MODE");
  };
  try {
    source = pool.take(source_key, [&] { return connect_citus_worker(source_info, "pgmove-source"); });
    target = pool.take(target_key, connect_target);
    std::vector<ShardDdl> ddls;
    std::vector<std::string> owners;
    for (const auto& s : u.shards) {
      check_shard_kind(source, s.relation);
      ddls.push_back(read_shard_ddl(source, s.schema, s.table_name));
      owners.push_back(
          source.scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = $1::regclass", {s.relation})
              .value_or(""));
    }
    uint64_t total_bytes = 0;
    for (const auto& s : u.shards)
      total_bytes += std::stoull(source.scalar("SELECT pg_relation_size($1::regclass)", {s.relation}).value_or("0"));
    progress->total_bytes = total_bytes;
    check_unit_target(u, source, target, ddls, logical);
    created_target = true;  // from here on, cleanup drops what exists of the unit on the target
    for (size_t i = 0; i < ddls.size(); ++i) {
      if (!target.scalar("SELECT to_regnamespace($1)::text", {ddls[i].schema}))
        target.run("CREATE SCHEMA " + quote_ident(ddls[i].schema));
      target.run(ddls[i].create_table);
      if (!owners[i].empty()) target.run("ALTER TABLE " + ddls[i].relation + " OWNER TO " + quote_ident(owners[i]));
    }

    if (!logical) {
      block_writes();
      copy.copy_rows(source, target, connect_target, ddls);
      UnitCopy::add_foreign_keys(target, ddls);
      run.step(u, "copied");
    } else {
      source.run("CREATE PUBLICATION " + quote_ident(repl) + " FOR TABLE " + join_sql_list(u.relations(), ", "));
      published = true;
      {
        // The slot's exported snapshot is valid while this replication connection stays open and idle.
        PgConn walsender = PgConn::connect(source_info + " replication=database", "pgmove-slot-" + sid);
        auto slot =
            walsender.exec("CREATE_REPLICATION_SLOT " + quote_ident(repl) + " LOGICAL pgoutput (SNAPSHOT 'export')");
        std::string snapshot = slot.str(0, slot.col("snapshot_name"));
        source.run("BEGIN ISOLATION LEVEL REPEATABLE READ");
        source.run("SET TRANSACTION SNAPSHOT " + quote_literal(snapshot));
        copy.copy_rows(source, target, connect_target, ddls);
        source.run("COMMIT");
      }
      // The subscription learns its tables from the source's pg_publication_tables, a pg_class view in which
      // Citus hides shards: without the setting it subscribes to nothing and silently skips every change.
      const std::string publisher = source_info + " options='-c citus.show_shards_for_app_name_prefixes=*'";
      target.run("CREATE SUBSCRIPTION " + quote_ident(repl) + " CONNECTION " + quote_literal(publisher) +
                 " PUBLICATION " + quote_ident(repl) + " WITH (create_slot = false, copy_data = false, slot_name = " +
                 quote_literal(repl) + ", enabled = true)");
      auto subscribed = target.scalar(
          "SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1",
          {repl});
      if (subscribed.value_or("0") != std::to_string(u.shards.size()))
        throw std::runtime_error("subscription " + repl + " on " + u.target.endpoint() + " covers " +
                                 subscribed.value_or("0") + " of the unit's " + std::to_string(u.shards.size()) +
                                 " shard tables");
      progress->set_phase("catching up");
      run.step(u, "copied");
      wait_for_catchup(u, source, repl, opts.catchup_timeout_s);  // most of the backlog, writes still flowing
      block_writes();
      wait_for_catchup(u, source, repl, opts.catchup_timeout_s);  // the rest, writes blocked
      drop_subscription(target, repl);
      UnitCopy::add_foreign_keys(target, ddls);
    }

    progress->set_phase("switching");
    verify_copy(u, source, target);
    run.step(u, "switching");
    switch_coordinator_placements(coord, u);
    workers.prepare_switch(u, move_id);
    journal.set_state(move_id, "switched");
    run.step(u, "prepared");
    switch_in_doubt = true;
    coord.run("COMMIT");
    switch_in_doubt = false;
  } catch (...) {
    std::string error;
    try {
      throw;
    } catch (const std::exception& e) {
      error = e.what();
    }
    // A COMMIT that failed on a live connection was rolled back; only a lost connection leaves it in doubt.
    if (switch_in_doubt && coord && PQstatus(coord.raw()) == CONNECTION_OK) switch_in_doubt = false;
    if (!switch_in_doubt) {
      if (coord && PQstatus(coord.raw()) == CONNECTION_OK && PQtransactionStatus(coord.raw()) != PQTRANS_IDLE)
        PQclear(PQexec(coord.raw(), "ROLLBACK"));
      workers.rollback();
      source = PgConn();  // closing it rolls back and releases the shard table locks
      target = PgConn();
    }
    clean_up_failed_move(run, journal, {u, move_id, repl, error, created_target, published || logical, switch_in_doubt},
                         connect_target, [&] { return connect_citus_worker(source_info, "pgmove-cleanup-" + sid); });
    run.progress.remove(progress);
    rethrow_named(u);
  }

  // Switched: the target is authoritative. The workers' prepared parts commit, the source's table locks go, and
  // the replication objects with them; a failure here is finished by the next run (journal state 'switched').
  try {
    run.step(u, "switched");
    workers.commit_prepared();
    source.run("COMMIT");
    if (logical) drop_slot_and_publication(source, repl);
    journal.set_state(move_id, "done");
  } catch (const std::exception& e) {
    run.progress.warn(u.what() + " is switched but finishing it failed: " + e.what() +
                      "; the next pgmove run (or pgmove recover) finishes it");
  }
  try {
    journal.release(move_id);
  } catch (const std::exception&) {
  }
  run.progress.finish(progress);
  workers.release(pool);
  pool.give(source_key, std::move(source));
  pool.give(target_key, std::move(target));
  pool.give("coordinator", std::move(coord));
  std::lock_guard lock(run.stats_mu);
  run.summary.moves += 1;
  run.summary.bytes += copy.totals().bytes;
  run.summary.source_reads += copy.totals().source_reads;
  run.summary.target_attempts += copy.totals().target_attempts;
}

bool resolve_citus_orphan(const Catalog& catalog, MoveJournal& journal, const JournalEntry& e) {
  const Node* src = catalog.node_for_group(e.source_group);
  const Node* dst = catalog.node_for_group(e.target_group);
  const std::string repl = replication_name(e.move_id);
  if (e.state == "started") {
    // The coordinator never committed: prepared worker parts are rolled back, the partial target goes.
    resolve_citus_switch(catalog, e.move_id, /*commit=*/false);
    if (dst) {
      PgConn t = connect_citus_worker(catalog.node_conninfo(*dst), "pgmove-recovery");
      drop_subscription(t, repl);
      for (const auto& rel : e.shard_relations) t.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
    }
    if (src) drop_slot_and_publication(connect_citus_worker(catalog.node_conninfo(*src), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "aborted", "cleaned by recovery: partial target dropped");
    return true;
  }
  if (e.state == "switched") {
    // The coordinator committed: the workers' parts follow; the old placement is pg_dist_cleanup's.
    resolve_citus_switch(catalog, e.move_id, /*commit=*/true);
    if (dst) drop_subscription(connect_citus_worker(catalog.node_conninfo(*dst), "pgmove-recovery"), repl);
    if (src) drop_slot_and_publication(connect_citus_worker(catalog.node_conninfo(*src), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "done", "finished by recovery: prepared worker metadata committed");
    return true;
  }
  return false;
}

}  // namespace pgload

// The local backend's move of one colocation unit, step by step. Until the switch commits, any failure undoes
// what exists on the target and the source stays authoritative; after it, the source tables are dropped.
#include "mover/local/local_move.h"

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/shard_lock.h"
#include "mover/copy/shard_copy.h"
#include "mover/local/coordinator_lock.h"
#include "mover/move/move_cleanup.h"
#include "mover/move/move_journal.h"
#include "mover/move/replication.h"
#include "mover/move/unit_copy.h"
#include "mover/move/verify.h"

namespace pgload {

void move_local(MoveContext& run, const MoveUnit& u) {
  const auto& opts = run.opts;
  const bool logical = opts.mode == TransferMode::Logical;
  const std::string source_info = run.catalog.node_conninfo(u.source);
  const std::string target_info = run.catalog.node_conninfo(u.target);
  const std::string sid = std::to_string(u.request.shard_id);
  auto connect_target = [&] { return PgConn::connect(target_info, "pgmove-target-" + sid); };

  PgConn coord = PgConn::connect(run.coordinator_conninfo, "pgmove");
  // The journal shares `coord`: its state changes join the transaction that switches the placements.
  MoveJournal journal = MoveJournal::sharing(coord);
  const int64_t move_id = journal.begin(u.shard_ids(), u.relations(), u.source.group_id, u.target.group_id,
                                        logical ? "logical" : "block_writes");
  const std::string repl = replication_name(move_id);
  run.progress.notice_moving(u);
  auto progress = run.progress.add(u.what());

  PgConn source, target;
  bool created_target = false, subscribed = false, published = false, switch_in_doubt = false;
  UnitCopy copy(run, u, run.bucket, progress);
  try {
    source = PgConn::connect(source_info, "pgmove-source-" + sid);
    target = connect_target();
    std::vector<ShardDdl> ddls;
    for (const auto& s : u.shards) ddls.push_back(read_shard_ddl(source, s.schema, s.table_name));
    check_unit_target(u, source, target, ddls, logical);
    created_target = true;  // from here on, cleanup drops what exists of the unit on the target
    for (const auto& d : ddls) {
      target.run("CREATE SCHEMA IF NOT EXISTS " + quote_ident(d.schema));
      target.run(d.create_table);
    }

    // The shard metadata lock (Exclusive) on every shard of the unit, in the coordinator transaction that ends with
    // the switch: a running load (Share, until its last COMMIT PREPARED) finishes first, a starting load waits and
    // then reads the new placements. Taken before any table lock, so a move never holds a table a load writes while
    // it waits: the load waits only on this lock, before it touches a worker, and the two cannot deadlock.
    auto lock_unit_shards = [&] {
      ShardLockOptions lock_opts;
      lock_opts.mode = ShardLockMode::Exclusive;
      lock_opts.lock_timeout_ms = opts.lock_timeout_ms;
      lock_opts.on_wait = [&](const std::string& msg) { run.progress.note(progress, u.what() + ": " + msg); };
      lock_shards(coord, u.shard_ids(), lock_opts);
      run.progress.set_status(progress, "");
    };
    // Writes wait from here to the switch (coordinator faces first, then the shards themselves); reads go on.
    auto block_writes = [&] {
      lock_coordinator_tables(coord, u);
      source.run("BEGIN");
      source.run("LOCK TABLE " + join_sql_list(u.relations(), ", ") + " IN EXCLUSIVE MODE");
      run.step(u, "blocking");
    };

    if (!logical) {
      coord.run("BEGIN");
      lock_unit_shards();
      block_writes();
      copy.copy_rows(source, target, connect_target, ddls);
      UnitCopy::add_foreign_keys(target, ddls);
      run.step(u, "copied");
      verify_copy(u, source, target);
    } else {
      // The slot's snapshot waits for every transaction running on the source, a load's too: hold the shard lock
      // while it is made, so that a running load is waited for (and named, and bounded by the lock timeout) here,
      // and a load starting now waits the moment it takes to make the slot and then writes after its snapshot.
      coord.run("BEGIN");
      lock_unit_shards();
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
        coord.run("COMMIT");  // loads go on during the copy: what they write after the snapshot comes through the slot
        copy.copy_rows(source, target, connect_target, ddls);
        // The bulk copy is checked against the snapshot it was read from, while nothing else writes the target;
        // what changes after the snapshot arrives through the slot, which logical replication delivers in full.
        verify_copy(u, source, target);
        source.run("COMMIT");
      }
      run.step(u, "verified");
      // Constraints and indexes came with the copy; foreign keys too, so nothing is built while writes wait.
      UnitCopy::add_foreign_keys(target, ddls);
      subscribed = true;
      target.run("CREATE SUBSCRIPTION " + quote_ident(repl) + " CONNECTION " + quote_literal(source_info) +
                 " PUBLICATION " + quote_ident(repl) + " WITH (create_slot = false, copy_data = false, slot_name = " +
                 quote_literal(repl) + ", enabled = true)");
      progress->set_phase("catching up");
      run.step(u, "copied");
      wait_for_catchup(u, source, repl, opts.catchup_timeout_s);  // most of the backlog, writes still flowing
      coord.run("BEGIN");
      lock_unit_shards();
      // Loads are excluded now, coordinator writes still flow: drain what a load that just finished left in the slot
      // before writes are blocked, so the pause below does not grow with the load.
      wait_for_catchup(u, source, repl, opts.catchup_timeout_s);
      block_writes();
      wait_for_catchup(u, source, repl, opts.catchup_timeout_s);  // the rest, writes blocked
      drop_subscription(target, repl);
      subscribed = false;
    }

    progress->set_phase("switching");
    run.step(u, "switching");
    // The switch: placements and the journal flip together, so the journal never lies about who owns the data.
    auto upd = coord.exec(
        "UPDATE pg_catalog.pg_dist_placement SET groupid = $1::int WHERE shardid = ANY($2::bigint[]) AND groupid = "
        "$3::int",
        {std::to_string(u.target.group_id), array_literal(u.shard_ids()), std::to_string(u.source.group_id)});
    std::string updated = PQcmdTuples(upd.raw());
    if (updated != std::to_string(u.shards.size()))
      throw std::runtime_error("pg_dist_placement changed during the move: updated " + updated + " of " +
                               std::to_string(u.shards.size()) + " placements");
    journal.set_state(move_id, "switched");
    switch_in_doubt = true;
    coord.run("COMMIT");
    switch_in_doubt = false;
  } catch (...) {
    // Before the switch: the source stays authoritative. Undo what exists on the target and the source's extras.
    std::string error;
    try {
      throw;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!switch_in_doubt) {
      if (coord && PQstatus(coord.raw()) == CONNECTION_OK && PQtransactionStatus(coord.raw()) != PQTRANS_IDLE)
        PQclear(PQexec(coord.raw(), "ROLLBACK"));
      source = PgConn();  // closing it rolls back and releases the shard locks
      target = PgConn();
    }
    clean_up_failed_move(run, journal,
                         {u, move_id, repl, error, created_target || subscribed, published || logical, switch_in_doubt},
                         connect_target, [&] { return PgConn::connect(source_info, "pgmove-cleanup-" + sid); });
    run.progress.remove(progress);
    rethrow_named(u);
  }

  // After the switch the target is authoritative; the source tables go in the same transaction that held the lock,
  // so a write that waited on it fails instead of landing in a dropped shard.
  try {
    // `source` is still in the transaction holding the shard locks (both modes)
    for (const auto& s : u.shards) source.run("DROP TABLE IF EXISTS " + s.relation + " CASCADE");
    if (logical) source.run("DROP PUBLICATION IF EXISTS " + quote_ident(repl));
    source.run("COMMIT");
    if (logical) drop_slot_and_publication(source, repl);
    journal.set_state(move_id, "done");
  } catch (const std::exception& e) {
    run.progress.warn(u.what() + " is switched but dropping the old shard on " + u.source.endpoint() +
                      " failed: " + e.what() + "; the next pgmove run drops it");
  }
  try {
    journal.release(move_id);
  } catch (const std::exception&) {
  }
  run.progress.remove(progress);
  std::lock_guard lock(run.stats_mu);
  run.summary.moves += 1;
  run.summary.bytes += copy.totals().bytes;
  run.summary.source_reads += copy.totals().source_reads;
  run.summary.target_attempts += copy.totals().target_attempts;
}

}  // namespace pgload

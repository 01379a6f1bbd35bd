#include "mover/move/move_steps.h"

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/shard_lock.h"
#include "mover/copy/shard_copy.h"
#include "mover/move/move_cleanup.h"
#include "mover/move/move_journal.h"
#include "mover/move/replication.h"
#include "mover/move/step_times.h"
#include "mover/move/unit_copy.h"
#include "mover/move/verify.h"

namespace pgload {

void MoveBackend::move(MoveContext& run, const MoveUnit& u) { run_move_steps(run, *this, u); }

namespace {

// Opens a transaction on the source and takes LOCK TABLE in it, bounded by --lock-timeout; a timeout names the node.
void lock_source_tables(const MoveUnit& u, const PgConn& source, const std::string& tables, const std::string& mode,
                        const std::optional<int64_t>& lock_timeout_ms) {
  // One round trip: the server runs the statements in order and stops at the first error.
  try {
    source.run("BEGIN; SELECT pg_catalog.set_config('lock_timeout', '" + std::to_string(lock_timeout_ms.value_or(0)) +
               "', true); LOCK TABLE " + tables + " IN " + mode + " MODE; SET LOCAL lock_timeout = 0");
  } catch (const PgError& e) {
    if (e.sqlstate() != "55P03") throw;
    throw std::runtime_error("the shard tables of " + u.what() + " on " + u.source.endpoint() +
                             " stayed locked for longer than --lock-timeout (" +
                             std::to_string(lock_timeout_ms.value_or(0)) + " ms): " + e.what());
  }
}

}  // namespace

void run_move_steps(MoveContext& run, MoveBackend& backend, const MoveUnit& u) {
  const auto& opts = run.opts;
  const bool logical = opts.mode == TransferMode::Logical;
  StepTimes times(u.what());
  const std::unique_ptr<UnitMove> m = backend.begin(run, u);
  auto connect_target = [&] { return m->connect_target("target"); };

  PgConn coord = m->connect_coordinator();
  times.mark("coordinator");
  m->start(coord);
  times.mark("start");
  // The journal shares `coord`: its state changes join the transaction that switches the placements.
  MoveJournal journal = MoveJournal::sharing(coord, !run.journal_schema_ready.load());
  run.journal_schema_ready = true;
  const int64_t move_id = journal.begin(u.shard_ids(), u.relations(), u.source.group_id, u.target.group_id,
                                        logical ? "logical" : "block_writes");
  times.mark("journal");
  const std::string repl = replication_name(move_id);
  run.progress.notice_moving(u);
  auto progress = run.progress.add(u.what());

  ShardLockOptions lock_opts;
  lock_opts.mode = ShardLockMode::Exclusive;
  lock_opts.lock_timeout_ms = opts.lock_timeout_ms;
  lock_opts.on_wait = [&](const std::string& msg) { run.progress.note(progress, u.what() + ": " + msg); };
  const std::string source_tables = join_sql_list(u.relations(), ", ");

  PgConn source, target;
  bool created_target = false, published = false, switch_in_doubt = false;
  UnitCopy copy(run, u, progress);
  // The shard metadata lock (Exclusive) on every shard of the unit, in a coordinator transaction: a running load
  // (Share, until its last COMMIT PREPARED) finishes first, a starting load waits and then reads the new placements.
  // Taken before any table lock, so a move never holds a table a load writes while it waits for the load.
  auto lock_unit_shards = [&] {
    if (PQtransactionStatus(coord.raw()) == PQTRANS_IDLE) coord.run("BEGIN");  // Citus's opened with its DDL lock
    lock_shards(coord, u.shard_ids(), lock_opts);
    run.progress.set_status(progress, "");
    if (opts.hooks.after_shard_lock) opts.hooks.after_shard_lock(u.request.shard_id);
  };
  // Writes wait from here to the switch: the backend's blocks first (where writers come in), then the source shards
  // themselves, so that the checksum compares a still picture even against a writer that bypasses the coordinator.
  auto block_writes = [&] {
    m->block_writes(coord, lock_opts);
    lock_source_tables(u, source, source_tables, "EXCLUSIVE", opts.lock_timeout_ms);
    run.step(u, "blocking");
  };
  try {
    source = m->connect_source("source");
    target = connect_target();
    // A policy must never filter what is copied or checked (a non-superuser owner under FORCE ROW LEVEL SECURITY):
    // such a table fails loudly instead.
    source.run("SET row_security = off");
    target.run("SET row_security = off");
    times.mark("sessions");
    // The definitions are read only once DDL cannot change them before the switch: the backend keeps DDL through
    // the coordinator out from here on, and the source's own lock waits for DDL that is still committing there
    // (a coordinator's DDL commits on the workers after it released its lock on the coordinator).
    m->lock_definitions(coord, lock_opts);
    lock_source_tables(u, source, source_tables, "SHARE UPDATE EXCLUSIVE", opts.lock_timeout_ms);
    std::vector<ShardDdl> ddls;
    std::vector<std::string> owners;
    uint64_t total_bytes = 0;
    for (const auto& s : u.shards) {
      owners.push_back(m->check_source_table(source, s));
      ddls.push_back(read_shard_ddl(source, s.schema, s.table_name));
      total_bytes += std::stoull(source.scalar("SELECT pg_relation_size($1::regclass)", {s.relation}).value_or("0"));
    }
    source.run("COMMIT");
    progress->total_bytes = total_bytes;
    times.mark("definitions");
    check_unit_target(u, source, target, ddls, logical);
    created_target = true;  // from here on, cleanup drops what exists of the unit on the target
    create_unit_tables(target, ddls, owners);
    times.mark("create");

    if (!logical) {
      lock_unit_shards();
      block_writes();
      times.mark("lock");
      copy.copy_rows(source, target, connect_target, ddls);
      times.mark("copy");
      // The source's checksums run while the target builds its indexes and foreign keys; then the target's.
      verify_copy(u, source, target, [&] {
        copy.build_indexes(target, ddls);
        UnitCopy::add_foreign_keys(target, ddls);
        run.step(u, "copied");
      });
      times.mark("indexes, verify");
    } else {
      // The slot's snapshot waits for every transaction running on the source, a load's too: hold the shard lock
      // while it is made, so that a running load is waited for (and named, and bounded by the lock timeout) here,
      // and a load starting now waits the moment it takes to make the slot and then writes after its snapshot.
      // Where every write takes that lock (Citus), one that already wrote on the source would wait on it while the
      // slot waits for that writer, across two nodes: there the slot is made without it, as Citus's own move does.
      const bool lock_for_slot = !m->writes_take_shard_lock();
      if (lock_for_slot) lock_unit_shards();
      source.run("CREATE PUBLICATION " + quote_ident(repl) + " FOR TABLE " + source_tables);
      published = true;
      {
        // The slot's exported snapshot is valid while this replication connection stays open and idle: until the
        // source's transaction imported it. Then the connection may serve the next move's slot.
        PgConn walsender = m->connect_replication();
        auto slot =
            walsender.exec("CREATE_REPLICATION_SLOT " + quote_ident(repl) + " LOGICAL pgoutput (SNAPSHOT 'export')");
        std::string snapshot = slot.str(0, slot.col("snapshot_name"));
        source.run("BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT " + quote_literal(snapshot));
        m->release_replication(std::move(walsender));
        if (lock_for_slot) coord.run("COMMIT");  // loads go on during the copy: what they write comes through the slot
        times.mark("slot");
        copy.copy_rows(source, target, connect_target, ddls);
        times.mark("copy");
        // The bulk copy is checked against the snapshot it was read from, while nothing else writes the target;
        // what changes after the snapshot arrives through the slot, which logical replication delivers in full.
        // The source's checksums run while the target builds its indexes.
        verify_copy(u, source, target, [&] { copy.build_indexes(target, ddls); });
        source.run("COMMIT");
      }
      run.step(u, "verified");
      // Constraints and indexes came with the copy; foreign keys too, so nothing is built while writes wait (the
      // subscription applies as a replica: foreign keys do not fire there).
      UnitCopy::add_foreign_keys(target, ddls);
      times.mark("indexes, verify");
      // The subscription is made only when there is something to replicate: while the slot has confirmed the
      // source's current WAL position, no change was written after the snapshot the copy was read and verified
      // from (the same test that ends the catch-up below), so a move of an idle unit never starts a worker.
      progress->set_phase("catching up");
      bool subscribed = false;
      auto subscribe = [&] {
        // A subscription that learnt fewer tables than the unit has would skip changes silently: counted in the
        // same simple query (one transaction; without create_slot, CREATE SUBSCRIPTION may run in one).
        auto tables =
            target.scalar("CREATE SUBSCRIPTION " + quote_ident(repl) + " CONNECTION " +
                          quote_literal(m->publisher_conninfo()) + " PUBLICATION " + quote_ident(repl) +
                          " WITH (create_slot = false, copy_data = false, slot_name = " + quote_literal(repl) +
                          ", enabled = true" + m->subscription_options() +
                          "); SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid "
                          "WHERE s.subname = " +
                          quote_literal(repl));
        subscribed = true;
        if (tables.value_or("0") != std::to_string(u.shards.size()))
          throw std::runtime_error("subscription " + repl + " on " + u.target.endpoint() + " covers " +
                                   tables.value_or("0") + " of the unit's " + std::to_string(u.shards.size()) +
                                   " shard tables");
        times.mark("subscribe");
      };
      auto catch_up = [&] {
        if (!subscribed) {
          if (slot_caught_up(source, repl)) return;
          subscribe();
        }
        wait_for_catchup(u, source, repl, opts.catchup_timeout_s);
      };
      if (!slot_caught_up(source, repl)) subscribe();
      run.step(u, "copied");
      if (subscribed) wait_for_catchup(u, source, repl, opts.catchup_timeout_s);  // most of the backlog, writes flow
      lock_unit_shards();
      // Loads are excluded now, other writes may still flow: drain what a load that just finished left in the slot
      // before writes are blocked, so the pause below does not grow with the load.
      catch_up();
      block_writes();
      catch_up();  // the rest, writes blocked
      if (subscribed) drop_existing_subscription(target, repl);
      times.mark("catchup");
    }

    progress->set_phase("switching");
    run.step(u, "switching");
    // The switch: placements and the journal flip together, so the journal never lies about who owns the data.
    m->switch_placements(coord, move_id);
    switch_in_doubt = true;
    journal.set_state_and_commit(move_id, "switched");
    switch_in_doubt = false;
    times.mark("switch");
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
      m->abort();
      source = PgConn();  // closing it rolls back and releases the shard table locks
      target = PgConn();
    }
    clean_up_failed_move(run, journal, {u, move_id, repl, error, created_target, published || logical, switch_in_doubt},
                         connect_target, [&] { return m->connect_source("cleanup"); });
    run.progress.remove(progress);
    rethrow_named(u);
  }

  // Switched: the target is authoritative. The backend finishes in the source transaction that held the lock (a
  // write that waited on it fails instead of landing in an old shard), and the replication objects go; a failure
  // here is finished by the next run (journal state 'switched').
  try {
    m->finish(source);
    source.run(logical ? "DROP PUBLICATION IF EXISTS " + quote_ident(repl) + "; COMMIT" : "COMMIT");
    if (logical) drop_slot(source, repl);
    journal.finish(move_id);  // 'done' and the owner lock's release
  } catch (const std::exception& e) {
    run.progress.warn(u.what() + " is switched but finishing it failed: " + e.what() +
                      "; the next pgmove run (or pgmove recover) finishes it");
    try {
      journal.release(move_id);  // the row stays 'switched' for the next run
    } catch (const std::exception&) {
    }
  }
  run.progress.finish(progress);
  run.count_moved(copy.totals());
  m->release(std::move(coord), std::move(source), std::move(target));
  times.mark("finish");
  times.log();
}

}  // namespace pgload

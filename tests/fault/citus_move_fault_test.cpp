// Real Citus: pgmove (the executor, in a forked copy of this process) SIGKILLed at each step of its own move
// (during the copy, in the logical catch-up, at the switch, with the workers' parts prepared, after the
// coordinator committed): Citus's catalog stays consistent (one placement per shard on the coordinator), and after
// the next pgmove run (`pgmove recover`) the coordinator and every metadata worker agree, the rows are all there,
// each shard's table is on exactly one node once Citus's cleanup ran, and nothing of the move is left (prepared
// transactions, slots, subscriptions). Runs only with PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER; skipped
// otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "mover/engine.h"
#include "mover/move/move_control.h"
#include "tests/support/citus_env.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wal_nudge.h"

using namespace pgload;
using pgload::test::run_command;

namespace {

constexpr int kRows = 50000;

struct StepFault {
  std::string name;
  TransferMode mode;
  std::string step;  // "chunk", "copied", "switching", "prepared", "switched"
  bool moved;        // whether the shard ends on the new node (the coordinator committed)
};

class CitusMoveFault : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = test::CitusEnv::from_env();
    if (!env)
      GTEST_SKIP() << "PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER are not both set: no Citus to move on";
    conninfo_ = env->conninfo;
    host_ = env->new_host;
    port_ = std::stoi(env->new_port);
    coord_ = PgConn::connect(conninfo_, "pgload-test");
    env->add_new_node(coord_);
  }
  void TearDown() override {
    if (coord_) coord_.run("DROP TABLE IF EXISTS cf_items, cf_users");
  }

  // A colocated pair with 4 shards on the old workers; returns the move of the first shard to the new node.
  MoveRequest reset_layout() {
    coord_.run("DROP TABLE IF EXISTS cf_items, cf_users");
    coord_.run("CALL citus_cleanup_orphaned_resources()");
    coord_.run("SELECT citus_set_node_property(" + quote_literal(host_) + ", " + std::to_string(port_) +
               ", 'shouldhaveshards', false)");
    coord_.run("CREATE TABLE cf_users (id bigint PRIMARY KEY, name text)");
    coord_.run("CREATE TABLE cf_items (user_id bigint, item int, PRIMARY KEY (user_id, item))");
    coord_.run("SELECT create_distributed_table('cf_users', 'id', shard_count := 4)");
    coord_.run("SELECT create_distributed_table('cf_items', 'user_id', colocate_with := 'cf_users')");
    coord_.run("INSERT INTO cf_users SELECT g, 'u' || g FROM generate_series(1, " + std::to_string(kRows) + ") g");
    coord_.run("INSERT INTO cf_items SELECT g, 1 FROM generate_series(1, " + std::to_string(kRows) + ") g");
    coord_.run("SELECT citus_set_node_property(" + quote_literal(host_) + ", " + std::to_string(port_) +
               ", 'shouldhaveshards', true)");
    auto r = coord_.exec(
        "SELECT shardid, nodename, nodeport FROM citus_shards WHERE table_name = 'cf_users'::regclass "
        "ORDER BY shardid LIMIT 1");
    return {r.i64(0, 0), r.str(0, 1), static_cast<int32_t>(r.i64(0, 2)), host_, port_};
  }

  // shardid -> groupid of the test tables' placements; every shard must have exactly one.
  std::map<std::string, std::string> placements(const PgConn& c, const std::string& where) {
    auto r = c.exec(
        "SELECT s.shardid, string_agg(p.groupid::text, ',') FROM pg_dist_shard s LEFT JOIN pg_dist_placement p "
        "USING (shardid) WHERE s.logicalrelid IN ('cf_users'::regclass, 'cf_items'::regclass) GROUP BY 1 ORDER BY 1");
    std::map<std::string, std::string> m;
    for (int i = 0; i < r.rows(); ++i) {
      EXPECT_EQ(r.str(i, 1).find(','), std::string::npos)
          << where << ": shard " << r.str(i, 0) << " has placements " << r.str(i, 1);
      m[r.str(i, 0)] = r.str(i, 1);
    }
    return m;
  }

  void wait_for_pgmove_sessions_to_go() {
    for (int i = 0; i < 200; ++i) {
      if (*coord_.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgmove%'") == "0") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // Runs the move in a forked copy of this process that SIGKILLs itself at `step` ("chunk": after a copied chunk);
  // returns its wait status once every pgmove session of it is gone.
  int kill_pgmove_at(const MoveRequest& move, TransferMode mode, const std::string& step) {
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      // The child never returns into gtest and never runs destructors (the parent's connections are shared).
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
      try {
        PgConn c = PgConn::connect(conninfo_, "pgmove");
        Catalog cat = Catalog::load(c);
        // In the catch-up, the fault is meant to find a live subscription: a logical move makes one only when its
        // source wrote WAL after the copy's snapshot, so WAL is written on the source, and the target is checked.
        const bool at_catch_up = mode == TransferMode::Logical && step == "copied";
        std::unique_ptr<test::WalNudge> nudge;
        if (at_catch_up)
          nudge = std::make_unique<test::WalNudge>(
              std::vector<std::string>{cat.node_conninfo(*cat.find_node(move.source_host, move.source_port))});
        const std::string target = cat.node_conninfo(*cat.find_node(move.target_host, move.target_port));
        ExecutorOptions o;
        o.mode = mode;
        o.hooks.after_target_chunk = [step](int64_t, int, uint64_t) {
          if (step == "chunk") raise(SIGKILL);
        };
        o.hooks.on_step = [step, at_catch_up, target](int64_t, std::string_view s) {
          if (s != step) return;
          if (at_catch_up &&
              PgConn::connect(target, "pgload-test")
                      .scalar("SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgload_move_%'") == "0")
            _exit(3);
          raise(SIGKILL);
        };
        execute_moves(cat, {move}, o);
      } catch (...) {
      }
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    wait_for_pgmove_sessions_to_go();
    return status;
  }

  void check_after_recovery(const std::string& point, const MoveRequest& m, bool moved) {
    auto coord_view = placements(coord_, point + ", coordinator");
    auto target_group =
        *coord_.scalar("SELECT groupid FROM pg_dist_node WHERE nodeport = $1::int", {std::to_string(m.target_port)});
    auto source_group =
        *coord_.scalar("SELECT groupid FROM pg_dist_node WHERE nodeport = $1::int", {std::to_string(m.source_port)});
    EXPECT_EQ(coord_view[std::to_string(m.shard_id)], moved ? target_group : source_group) << point;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cf_users"), std::to_string(kRows)) << point;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cf_items"), std::to_string(kRows)) << point;
    coord_.run("CALL citus_cleanup_orphaned_resources()");
    auto nodes = coord_.exec("SELECT nodename, nodeport, groupid, hasmetadata FROM pg_dist_node WHERE groupid <> 0");
    std::map<std::string, int> tables_of;  // shard -> nodes that hold its table
    for (int i = 0; i < nodes.rows(); ++i) {
      PgConn w = PgConn::connect(
          "host=" + nodes.str(i, 0) + " port=" + nodes.str(i, 1) + " user=postgres dbname=postgres", "pgload-test");
      const std::string where = point + ", " + nodes.str(i, 0) + ":" + nodes.str(i, 1);
      if (nodes.boolean(i, 3)) {
        EXPECT_EQ(placements(w, where), coord_view) << where;
      }
      EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pgmove\\_%' OR gid LIKE "
                          "'pgload\\_move\\_%'"),
                "0")
          << where;
      EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgload_move_%'"), "0")
          << where;
      EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgload_move_%'"), "0") << where;
      for (const auto& [shard, group] : coord_view) {
        for (const char* t : {"cf_users_", "cf_items_"}) {
          bool there = w.scalar("SELECT to_regclass($1)::text", {std::string("public.") + t + shard}).has_value();
          // cf_items' shard ids differ from cf_users'; only the table named after its own shard counts
          if (there) {
            tables_of[std::string(t) + shard] += 1;
            EXPECT_EQ(group, nodes.str(i, 2)) << where << ": " << t << shard << " outside its placement";
          }
        }
      }
    }
    for (const auto& [table, n] : tables_of) EXPECT_EQ(n, 1) << point << ": " << table << " on " << n << " nodes";
  }

  std::string conninfo_, host_;
  int32_t port_ = 0;
  PgConn coord_;
};

TEST_F(CitusMoveFault, PgmoveKilledAtEachStep) {
  const std::vector<StepFault> faults = {
      {"block_writes, during the copy", TransferMode::BlockWrites, "chunk", false},
      {"block_writes, at the switch", TransferMode::BlockWrites, "switching", false},
      {"block_writes, workers prepared", TransferMode::BlockWrites, "prepared", false},
      {"block_writes, after the coordinator's commit", TransferMode::BlockWrites, "switched", true},
      {"logical, during the copy", TransferMode::Logical, "chunk", false},
      {"logical, during catch-up", TransferMode::Logical, "copied", false},
      {"logical, workers prepared", TransferMode::Logical, "prepared", false},
      {"logical, after the coordinator's commit", TransferMode::Logical, "switched", true},
  };
  for (const auto& f : faults) {
    MoveRequest move = reset_layout();
    const int status = kill_pgmove_at(move, f.mode, f.step);
    const std::string point = "pgmove killed: " + f.name;
    ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << point << ": the target had no subscription";
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << point << ": the step was never reached";
    std::printf("[ point ] %s\n", point.c_str());
    placements(coord_, point + ", before recovery");  // one placement per shard even now
    auto r = run_command(std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ + "' recover 2>&1");
    ASSERT_EQ(r.exit_code, 0) << point << ": " << r.output;
    EXPECT_NE(r.output.find("resolved 1 interrupted move"), std::string::npos) << point << ": " << r.output;
    check_after_recovery(point, move, f.moved);
    // And the next move of the same shard works.
    if (!f.moved) {
      auto again = run_command(std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ + "' move " +
                               std::to_string(move.shard_id) + " --to " + host_ + ":" + std::to_string(port_) +
                               " --mode block_writes 2>&1");
      EXPECT_EQ(again.exit_code, 0) << point << ": " << again.output;
    }
  }
}

// Recovery of a move killed while copying ('started') dropped the unit's tables on the target without asking the
// catalog. Here the operator removed the partial tables and Citus then moved the shard to that same node: the
// tables there are Citus's live placement, which `pgmove recover` must keep (and say so).
TEST_F(CitusMoveFault, RecoveryKeepsAPlacementCitusMadeSince) {
  MoveRequest move = reset_layout();
  const int status = kill_pgmove_at(move, TransferMode::BlockWrites, "chunk");
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the copy was never reached";
  {
    PgConn t = PgConn::connect("host=" + host_ + " port=" + std::to_string(port_) + " user=postgres dbname=postgres",
                               "pgload-test");
    t.run("SET citus.show_shards_for_app_name_prefixes = '*'");
    t.run("SET citus.enable_manual_changes_to_shards = on");
    auto partial = t.scalar(
        "SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ') FROM pg_class c JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relname ~ '^cf_(users|items)_[0-9]+$'");
    ASSERT_TRUE(partial.has_value()) << "the killed move left no table on the target";
    t.run("DROP TABLE " + *partial);
  }
  coord_.run("SELECT citus_move_shard_placement(" + std::to_string(move.shard_id) + ", " +
             quote_literal(move.source_host) + ", " + std::to_string(move.source_port) + ", " + quote_literal(host_) +
             ", " + std::to_string(port_) + ", shard_transfer_mode := 'block_writes')");
  auto r = run_command(std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ + "' recover 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("has a placement on group"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("resolved 1 interrupted move"), std::string::npos) << r.output;
  check_after_recovery("killed pgmove move, then Citus's move to the same node", move, /*moved=*/true);
}

// The page's "stop" at every step of a direct Citus move, without any recovery afterwards: a stop before the switch
// rolls the move back, one once the switch is under way lets the move finish (a stop between the coordinator's
// commit and the workers' COMMIT PREPARED used to leave the workers' metadata prepared, in doubt, until the next
// run). Either way the coordinator and every metadata worker agree at once, and nothing is left prepared.
TEST_F(CitusMoveFault, StopAtEveryStepLeavesBothCatalogsAgreeing) {
  struct StopAt {
    TransferMode mode;
    std::string step;
    bool moved;  // the stop acts at the next safe point: "switching" and later ones come too late
  };
  const std::vector<StopAt> stops = {
      {TransferMode::BlockWrites, "blocking", false}, {TransferMode::BlockWrites, "copied", false},
      {TransferMode::BlockWrites, "switching", true}, {TransferMode::BlockWrites, "prepared", true},
      {TransferMode::Logical, "verified", false},     {TransferMode::Logical, "blocking", false},
      {TransferMode::Logical, "switching", true},     {TransferMode::Logical, "prepared", true},
  };
  for (const auto& stop : stops) {
    const std::string point =
        std::string("stop at ") + stop.step + (stop.mode == TransferMode::Logical ? " (logical)" : " (block_writes)");
    MoveRequest move = reset_layout();
    MoveControl control;
    ExecutorOptions o;
    o.mode = stop.mode;
    o.control = &control;
    o.hooks.on_step = [&](int64_t, std::string_view s) {
      if (s == stop.step) control.cancel();
    };
    bool cancelled = false;
    {
      PgConn c = PgConn::connect(conninfo_, "pgload-test");
      Catalog cat = Catalog::load(c);
      testing::internal::CaptureStdout();
      try {
        execute_moves(cat, {move}, o);
      } catch (const std::exception&) {
        cancelled = true;
      }
      testing::internal::GetCapturedStdout();
    }
    EXPECT_EQ(cancelled, !stop.moved) << point;
    wait_for_pgmove_sessions_to_go();
    auto coord_view = placements(coord_, point + ", coordinator");
    const std::string group = *coord_.scalar("SELECT groupid FROM pg_dist_node WHERE nodeport = $1::int",
                                             {std::to_string(stop.moved ? move.target_port : move.source_port)});
    EXPECT_EQ(coord_view[std::to_string(move.shard_id)], group) << point;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cf_users"), std::to_string(kRows)) << point;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload.moves WHERE state IN ('started', 'switched')"), "0") << point;
    auto nodes = coord_.exec("SELECT nodename, nodeport, hasmetadata FROM pg_dist_node WHERE groupid <> 0");
    for (int i = 0; i < nodes.rows(); ++i) {
      PgConn w = PgConn::connect(
          "host=" + nodes.str(i, 0) + " port=" + nodes.str(i, 1) + " user=postgres dbname=postgres", "pgload-test");
      const std::string where = point + ", " + nodes.str(i, 0) + ":" + nodes.str(i, 1);
      if (nodes.boolean(i, 2)) {
        EXPECT_EQ(placements(w, where), coord_view) << where;
      }
      EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pgmove\\_%'"), "0") << where;
      EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgload_move_%'"), "0") << where;
    }
  }
}

}  // namespace

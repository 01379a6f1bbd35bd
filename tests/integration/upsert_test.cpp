// pgload --on-conflict and worker-side rejects on the local cluster (real PostgreSQL 15 nodes): the scenarios of
// tests/support/upsert_scenario.h, which the gated citus_upsert_test runs on real Citus.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/upsert_scenario.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

upsert::Env env() {
  static const std::string dir = temp_dir("pgload-upsert");
  return {TestCluster::shared().conninfo(), dir, false};
}

TEST(UpsertTest, UpdateEqualsRowByRowInsertOnConflict) {
  upsert::upsert_equals_row_by_row(env(), "update", "up_update", upsert::Kind::Distributed);
}

TEST(UpsertTest, NothingEqualsRowByRowInsertOnConflict) {
  upsert::upsert_equals_row_by_row(env(), "nothing", "up_nothing", upsert::Kind::Distributed);
}

// Steps commit while the next one is sent: each step's staging tables are its own.
TEST(UpsertTest, CheckpointedUpdateEqualsRowByRow) {
  upsert::upsert_equals_row_by_row(env(), "update", "up_steps", upsert::Kind::Distributed, " --checkpoint 8kB");
}

TEST(UpsertTest, ReferenceTableEveryReplica) {
  upsert::upsert_equals_row_by_row(env(), "update", "up_ref", upsert::Kind::Reference);
}

TEST(UpsertTest, ColocatedTableConflictKeyAndUpdateColumns) { upsert::colocated_update_columns(env(), "up_co"); }

TEST(UpsertTest, WorkerRejectsAreExactlyTheViolatingRows) { upsert::worker_rejects(env(), "up_rej", ""); }

TEST(UpsertTest, WorkerRejectsDuringAnUpsert) { upsert::worker_rejects(env(), "up_rej_upd", "update"); }

TEST(UpsertTest, CheckpointedWorkerRejectsSurviveAResume) {
  upsert::checkpointed_worker_rejects(env(), "up_rej_steps");
}

TEST(UpsertTest, RefusedRowWithoutBudgetLoadsNothing) { upsert::refused_rows_without_budget(env(), "up_strict"); }

TEST(UpsertTest, ReloadRewritesOnlyChangedRows) { upsert::reload_rewrites_only_changed_rows(env(), "up_reload"); }

TEST(UpsertTest, ReplicasThatRefuseDifferentRowsFailTheLoad) {
  upsert::replicas_refuse_different_rows(env(), "up_replicas");
}

TEST(UpsertTest, StagingSchemaTheRoleMayNotCreateIsNamed) {
  upsert::staging_schema_refused(env(), "up_nocreate", "up_loader");
}

TEST(UpsertTest, StagingTablesLeaveNothingBehind) {
  upsert::upsert_equals_row_by_row(env(), "update", "up_clean", upsert::Kind::Distributed);
  for (int port : TestCluster::shared().worker_ports()) {
    PgConn w = TestCluster::shared().connect_node(port);
    EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = 'pgload_staging'"),
              "0");
    EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_prepared_xacts"), "0");
  }
}

TEST(UpsertTest, BadOptionsNameTheProblem) {
  PgConn c = TestCluster::shared().connect();
  c.run("DROP TABLE IF EXISTS up_opts");
  c.run("CREATE TABLE up_opts (id bigint PRIMARY KEY, a text, b text UNIQUE)");
  c.run("SELECT create_distributed_table('up_opts', 'id', colocate_with => 'none')");
  const std::string path = env().dir + "/opts.csv";
  write_file(path, "1,x,y\n");
  auto run = [&](const std::string& extra) {
    return upsert::pgload(env(), "--url " + sh(path) + " --table up_opts " + extra);
  };
  auto r = run("--on-conflict replace");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--on-conflict takes nothing or update, got 'replace'"));
  r = run("--conflict-key id");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--conflict-key needs --on-conflict nothing|update"));
  r = run("--on-conflict update --conflict-key a,id");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("has no unique index or constraint on exactly these columns"));
  r = run("--on-conflict update --update-columns id");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--update-columns column \"id\" is in the conflict key"));
  r = run("--on-conflict update --update-columns zzz");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--update-columns column \"zzz\" is not among the loaded columns"));
  r = run("--on-conflict nothing --columns a,b,id --conflict-key b");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("must include the distribution column \"id\""));
  r = run("--on-conflict update --columns id");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("has nothing to set"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM up_opts"), "0");
}

}  // namespace
}  // namespace pgload::test

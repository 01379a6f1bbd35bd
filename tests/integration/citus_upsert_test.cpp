// The --on-conflict and worker-reject scenarios of tests/support/upsert_scenario.h on a real Citus cluster
// (PGLOAD_TEST_CITUS; skipped without it), plus a foreign key between colocated tables, which only real Citus
// creates on the shards.
#include <gtest/gtest.h>

#include "tests/support/citus_fixture.h"
#include "tests/support/upsert_scenario.h"

namespace pgload::test {
namespace {

class CitusUpsertTest : public CitusCoordinatorTest {
 protected:
  upsert::Env env() const {
    static const std::string dir = temp_dir("pgload-citus-upsert");
    return {conninfo_, dir, true};
  }
};

TEST_F(CitusUpsertTest, UpdateEqualsRowByRowInsertOnConflict) {
  upsert::upsert_equals_row_by_row(env(), "update", "cu_update", upsert::Kind::Distributed);
  EXPECT_EQ(misplaced_rows("cu_update"), 0);
}

TEST_F(CitusUpsertTest, NothingEqualsRowByRowInsertOnConflict) {
  upsert::upsert_equals_row_by_row(env(), "nothing", "cu_nothing", upsert::Kind::Distributed);
}

TEST_F(CitusUpsertTest, ReferenceTableEveryReplica) {
  upsert::upsert_equals_row_by_row(env(), "update", "cu_ref", upsert::Kind::Reference);
}

TEST_F(CitusUpsertTest, ColocatedTableConflictKeyAndUpdateColumns) { upsert::colocated_update_columns(env(), "cu_co"); }

TEST_F(CitusUpsertTest, WorkerRejectsAreExactlyTheViolatingRows) { upsert::worker_rejects(env(), "cu_rej", ""); }

TEST_F(CitusUpsertTest, WorkerRejectsDuringAnUpsert) { upsert::worker_rejects(env(), "cu_rej_upd", "update"); }

TEST_F(CitusUpsertTest, CheckpointedWorkerRejectsSurviveAResume) {
  upsert::checkpointed_worker_rejects(env(), "cu_rej_steps");
}

TEST_F(CitusUpsertTest, ForeignKeyRejects) { upsert::foreign_key_rejects(env(), "cu_fk"); }

TEST_F(CitusUpsertTest, ReloadRewritesOnlyChangedRows) {
  upsert::reload_rewrites_only_changed_rows(env(), "cu_reload");
}

TEST_F(CitusUpsertTest, ReplicasThatRefuseDifferentRowsFailTheLoad) {
  upsert::replicas_refuse_different_rows(env(), "cu_replicas");
}

TEST_F(CitusUpsertTest, StagingSchemaTheRoleMayNotCreateIsNamed) {
  upsert::staging_schema_refused(env(), "cu_nocreate", "cu_loader");
}

TEST_F(CitusUpsertTest, RefusedRowWithoutBudgetLoadsNothing) {
  upsert::refused_rows_without_budget(env(), "cu_strict");
}

}  // namespace
}  // namespace pgload::test

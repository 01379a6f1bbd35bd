// MoveControl without a database: the rate reaches the attached bucket, chunks add up per unit, a stop throws at the
// next check, and the phases follow the executor's calls.
#include "mover/move/move_control.h"

#include <gtest/gtest.h>

namespace pgload {
namespace {

TEST(MoveControl, RateSetBeforeOrDuringARun) {
  TokenBucket bucket(1'000'000);
  MoveControl untouched;
  untouched.attach(&bucket);
  EXPECT_EQ(untouched.rate_bytes_per_s(), 1'000'000) << "without set_rate the run's --max-rate stands";
  untouched.detach();

  MoveControl control;
  control.set_rate(500'000);
  control.attach(&bucket);
  EXPECT_EQ(bucket.rate_bytes_per_s(), 500'000);
  control.set_rate(0);
  EXPECT_TRUE(bucket.unlimited());
  control.detach();
  control.set_rate(42);
  EXPECT_TRUE(bucket.unlimited()) << "a detached bucket is not touched";
  EXPECT_EQ(control.rate_bytes_per_s(), 42);
}

TEST(MoveControl, ProgressOfAColocatedUnit) {
  MoveControl control;
  control.expect_bytes(102008, 3000);
  control.queued({102008, "127.0.0.1", 9701, "127.0.0.1", 9703}, {102008, 102040});
  auto s = control.snapshot();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].phase, MovePhase::Queued);
  EXPECT_EQ(s[0].shards, 2);
  EXPECT_EQ(s[0].bytes_total, 3000);
  control.started(102008);
  control.chunk(102008, 1000);
  control.chunk(102040, 500);
  control.chunk(102040, 700);   // bytes so far of that table, not an increment
  control.chunk(999, 1 << 20);  // not in any unit: ignored
  s = control.snapshot();
  EXPECT_EQ(s[0].phase, MovePhase::Copying);
  EXPECT_EQ(s[0].bytes_done, 1700u);
  control.step(102008, "copied");
  EXPECT_EQ(control.snapshot()[0].phase, MovePhase::CatchingUp);
  control.step(102008, "switching");
  EXPECT_EQ(control.snapshot()[0].phase, MovePhase::Switching);
  control.finished(102008, MovePhase::Done);
  EXPECT_STREQ(move_phase_name(control.snapshot()[0].phase), "done");
}

TEST(MoveControl, StopThrowsAtTheNextCheck) {
  MoveControl control;
  EXPECT_NO_THROW(control.check_cancel());
  control.cancel();
  EXPECT_TRUE(control.cancelled());
  EXPECT_THROW(control.check_cancel(), MoveCancelled);
}

}  // namespace
}  // namespace pgload

// What a caller outside execute_moves may do to a run in progress: stop it, change its rate, and read how far each
// move got. The executor attaches its token bucket and reports each move's steps here; every member is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mover/copy/token_bucket.h"
#include "mover/move/move_types.h"

namespace pgload {

// Thrown inside a move at a safe point after MoveControl::cancel(): the move rolls back like a failed one.
class MoveCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class MovePhase { Queued, Copying, CatchingUp, Switching, Done, Failed, Cancelled };
// "queued", "copying", "catching up", "switching", "done", "failed", "cancelled".
const char* move_phase_name(MovePhase phase) noexcept;

class MoveControl {
 public:
  struct MoveSnapshot {
    MoveRequest request;
    MovePhase phase = MovePhase::Queued;
    int shards = 0;           // shard tables in the colocation unit
    uint64_t bytes_done = 0;  // COPY bytes written to the target so far
    int64_t bytes_total = 0;  // expected size of the unit (expect_bytes), 0 = unknown
    double seconds = 0;       // since the move started (until it ended)
  };

  // Stops the run: no further move starts, and moves in flight roll back at their next safe point (a copied chunk,
  // the end of the copy, just before the switch). Moves already switched stay switched.
  void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }
  // Throws MoveCancelled when cancel() was called.
  void check_cancel() const;

  // Changes the total copy rate (<= 0: unlimited) of the run now, or of the run that attaches later.
  void set_rate(int64_t rate_bytes_per_s);
  int64_t rate_bytes_per_s() const noexcept { return rate_bytes_per_s_.load(std::memory_order_relaxed); }

  // The size of the unit a request (by its shard id) moves, to show progress against and estimate the time left.
  void expect_bytes(int64_t request_shard_id, int64_t bytes);
  // Every move of the run so far, in request order.
  std::vector<MoveSnapshot> snapshot() const;

  // ---- called by execute_moves ----
  // The run's bucket takes the rate set last, if any (else the control reports the bucket's); detach() before the
  // bucket goes away.
  void attach(TokenBucket* bucket);
  void detach();
  void queued(const MoveRequest& request, const std::vector<int64_t>& unit_shard_ids);
  void started(int64_t request_shard_id);
  // after_target_chunk: `bytes_so_far` of one shard table of a unit (restarts at 0 when a copy is retried).
  void chunk(int64_t shard_id, uint64_t bytes_so_far);
  // on_step: "copied" and "switching".
  void step(int64_t request_shard_id, std::string_view name);
  void finished(int64_t request_shard_id, MovePhase phase);

 private:
  struct Move {
    MoveSnapshot snap;
    std::map<int64_t, uint64_t> bytes_by_shard;
    std::chrono::steady_clock::time_point start{};
  };
  Move* find_locked(int64_t request_shard_id);

  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> rate_bytes_per_s_{0};
  bool rate_set_ = false;  // under mu_
  mutable std::mutex mu_;
  TokenBucket* bucket_ = nullptr;              // under mu_
  std::vector<Move> moves_;                    // under mu_
  std::map<int64_t, int64_t> expected_bytes_;  // under mu_
  std::map<int64_t, int64_t> unit_of_shard_;   // shard id -> request shard id, under mu_
};

}  // namespace pgload

// Scheduling of shard moves: recover earlier crashes, validate every request, check disk space (and for logical
// moves each source's WAL senders), then run the units on `parallel` threads, stopping at the first failure. The steps
// of a move are the backend's move() (move_steps, or Citus's own).
#include "mover/move/executor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mover/move/disk_check.h"
#include "mover/move/move_context.h"
#include "mover/move/move_control.h"
#include "mover/move/move_recovery.h"
#include "mover/move/move_validation.h"
#include "mover/move/wal_senders.h"

namespace pgload {

namespace {
using Clock = std::chrono::steady_clock;

// Whether a stop may act at `step`: only before anything of the switch is prepared. Citus's direct move reports
// "prepared" (the workers' metadata prepared) and "switched" (the coordinator committed, the workers not yet): a stop
// there would leave the workers' parts in doubt until the next run's recovery, so the move finishes instead.
bool stop_may_act_at(std::string_view step) { return step != "prepared" && step != "switched"; }

// The caller's hooks, preceded by the control's bookkeeping and its cancel checks (safe points: nothing is switched
// yet, so a MoveCancelled thrown there rolls the move back).
MoveHooks controlled_hooks(const MoveHooks& hooks, MoveControl& control) {
  MoveHooks out;
  out.after_target_chunk = [hooks, &control](int64_t shard_id, int attempt, uint64_t bytes_so_far) {
    control.chunk(shard_id, bytes_so_far);
    if (hooks.after_target_chunk) hooks.after_target_chunk(shard_id, attempt, bytes_so_far);
    control.check_cancel();
  };
  out.on_step = [hooks, &control](int64_t shard_id, std::string_view step) {
    if (stop_may_act_at(step)) control.check_cancel();
    control.step(shard_id, step);
    if (hooks.on_step) hooks.on_step(shard_id, step);
  };
  return out;
}

// Detaches the run's bucket from the control when the run ends, however it ends.
struct ControlAttachment {
  ControlAttachment(MoveControl* control, TokenBucket& bucket) : control(control) {
    if (control) control->attach(&bucket);
  }
  ~ControlAttachment() {
    if (control) control->detach();
  }
  ControlAttachment(const ControlAttachment&) = delete;
  ControlAttachment& operator=(const ControlAttachment&) = delete;
  MoveControl* control;
};

}  // namespace

MoveSummary schedule_moves(Catalog& catalog, MoveBackend& backend, const std::vector<MoveRequest>& moves,
                           const ExecutorOptions& opts) {
  auto start = Clock::now();
  if (opts.parallel < 1) throw std::runtime_error("parallel must be at least 1");
  backend.warm_up(moves);
  (void)resolve_orphans_reporting(catalog, backend);
  catalog.reload_nodes();
  auto units = validate(catalog, moves);
  const std::vector<uint64_t> sizes = backend.unit_sizes(units);
  check_disk_space(catalog, units, sizes, opts);
  std::map<std::string, int> room;  // per source: logical moves it may still start
  if (opts.mode == TransferMode::Logical) room = logical_moves_per_source(catalog, units, opts.parallel);
  MoveControl* control = opts.control;
  ExecutorOptions run_opts = opts;
  if (control) {
    run_opts.hooks = controlled_hooks(opts.hooks, *control);
    for (const auto& u : units) control->queued(u.request, u.shard_ids());
  }
  MoveContext run(catalog, run_opts);
  ControlAttachment attachment(control, run.bucket);
  run.summary.path = backend.path();
  uint64_t total_bytes = 0;
  for (uint64_t b : sizes) total_bytes += b;
  run.progress.configure(opts.json, total_bytes);

  // Logical moves run from each source no more at a time than its WAL senders and slots allow (wal_senders.h):
  // a thread takes the first unit not yet taken whose source has room, and waits when none has.
  std::vector<bool> taken(units.size());
  size_t left = units.size();
  std::mutex mu;
  std::condition_variable freed;
  bool failed = false;
  std::exception_ptr first_error;
  auto take = [&]() -> std::optional<size_t> {
    std::unique_lock lock(mu);
    for (;;) {
      if (failed || left == 0) return std::nullopt;
      for (size_t i = 0; i < units.size(); ++i) {
        if (taken[i]) continue;
        auto r = room.find(units[i].source.endpoint());
        if (r != room.end() && r->second == 0) continue;
        if (r != room.end()) --r->second;
        taken[i] = true;
        --left;
        return i;
      }
      freed.wait(lock);
    }
  };
  auto done = [&](size_t i, std::exception_ptr error) {
    std::lock_guard lock(mu);
    auto r = room.find(units[i].source.endpoint());
    if (r != room.end()) ++r->second;
    if (error && !first_error) first_error = error;
    failed = failed || error;
    freed.notify_all();
  };
  auto worker = [&] {
    while (auto i = take()) {
      const int64_t id = units[*i].request.shard_id;
      try {
        if (control) {
          control->check_cancel();
          control->started(id);
        }
        backend.move(run, units[*i]);
        if (control) control->finished(id, MovePhase::Done);
        done(*i, nullptr);
      } catch (...) {
        // The move names itself in a rethrown error, so a stop is recognised by the flag, not the exception type.
        if (control) control->finished(id, control->cancelled() ? MovePhase::Cancelled : MovePhase::Failed);
        done(*i, std::current_exception());
      }
    }
  };
  size_t nthreads = std::min<size_t>(static_cast<size_t>(opts.parallel), units.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < nthreads; ++i) threads.emplace_back(worker);
  if (nthreads > 0) worker();
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
  run.summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.summary.copy_seconds = run.bucket.copy_seconds();
  return run.summary;
}

}  // namespace pgload

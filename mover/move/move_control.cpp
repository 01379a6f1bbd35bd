// MoveControl: one mutex over the per-move records; the cancel flag and the rate are atomics the hot path reads.
#include "mover/move/move_control.h"

namespace pgload {

const char* move_phase_name(MovePhase phase) noexcept {
  switch (phase) {
    case MovePhase::Queued:
      return "queued";
    case MovePhase::Copying:
      return "copying";
    case MovePhase::CatchingUp:
      return "catching up";
    case MovePhase::Switching:
      return "switching";
    case MovePhase::Done:
      return "done";
    case MovePhase::Failed:
      return "failed";
    case MovePhase::Cancelled:
      return "cancelled";
  }
  return "?";
}

void MoveControl::check_cancel() const {
  if (cancelled()) throw MoveCancelled("the rebalance was stopped");
}

void MoveControl::set_rate(int64_t rate_bytes_per_s) {
  std::lock_guard lock(mu_);
  rate_bytes_per_s_.store(rate_bytes_per_s, std::memory_order_relaxed);
  rate_set_ = true;
  if (bucket_) bucket_->set_rate(rate_bytes_per_s);
}

void MoveControl::expect_bytes(int64_t request_shard_id, int64_t bytes) {
  std::lock_guard lock(mu_);
  expected_bytes_[request_shard_id] = bytes;
  if (Move* m = find_locked(request_shard_id)) m->snap.bytes_total = bytes;
}

std::vector<MoveControl::MoveSnapshot> MoveControl::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<MoveSnapshot> out;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& m : moves_) {
    out.push_back(m.snap);
    const bool running = m.snap.phase == MovePhase::Copying || m.snap.phase == MovePhase::CatchingUp ||
                         m.snap.phase == MovePhase::Switching;
    if (running) out.back().seconds = std::chrono::duration<double>(now - m.start).count();
  }
  return out;
}

void MoveControl::attach(TokenBucket* bucket) {
  std::lock_guard lock(mu_);
  bucket_ = bucket;
  if (!bucket_) return;
  if (rate_set_)
    bucket_->set_rate(rate_bytes_per_s_.load(std::memory_order_relaxed));
  else
    rate_bytes_per_s_.store(bucket_->rate_bytes_per_s(), std::memory_order_relaxed);
}

void MoveControl::detach() {
  std::lock_guard lock(mu_);
  bucket_ = nullptr;
}

MoveControl::Move* MoveControl::find_locked(int64_t request_shard_id) {
  for (auto& m : moves_)
    if (m.snap.request.shard_id == request_shard_id) return &m;
  return nullptr;
}

void MoveControl::queued(const MoveRequest& request, const std::vector<int64_t>& unit_shard_ids) {
  std::lock_guard lock(mu_);
  Move m;
  m.snap.request = request;
  m.snap.shards = static_cast<int>(unit_shard_ids.size());
  auto it = expected_bytes_.find(request.shard_id);
  if (it != expected_bytes_.end()) m.snap.bytes_total = it->second;
  for (int64_t id : unit_shard_ids) unit_of_shard_[id] = request.shard_id;
  moves_.push_back(std::move(m));
}

void MoveControl::started(int64_t request_shard_id) {
  std::lock_guard lock(mu_);
  if (Move* m = find_locked(request_shard_id)) {
    m->snap.phase = MovePhase::Copying;
    m->start = std::chrono::steady_clock::now();
  }
}

void MoveControl::chunk(int64_t shard_id, uint64_t bytes_so_far) {
  std::lock_guard lock(mu_);
  auto unit = unit_of_shard_.find(shard_id);
  if (unit == unit_of_shard_.end()) return;
  if (Move* m = find_locked(unit->second)) {
    m->bytes_by_shard[shard_id] = bytes_so_far;
    uint64_t total = 0;
    for (const auto& [id, bytes] : m->bytes_by_shard) total += bytes;
    m->snap.bytes_done = total;
  }
}

void MoveControl::step(int64_t request_shard_id, std::string_view name) {
  std::lock_guard lock(mu_);
  Move* m = find_locked(request_shard_id);
  if (!m) return;
  // Logical mode reports "copied" before it waits for the subscription to catch up; block_writes switches next.
  if (name == "copied") m->snap.phase = MovePhase::CatchingUp;
  if (name == "switching") m->snap.phase = MovePhase::Switching;
}

void MoveControl::finished(int64_t request_shard_id, MovePhase phase) {
  std::lock_guard lock(mu_);
  if (Move* m = find_locked(request_shard_id)) {
    m->snap.phase = phase;
    if (m->start != std::chrono::steady_clock::time_point{})
      m->snap.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m->start).count();
  }
}

}  // namespace pgload

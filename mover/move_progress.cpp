// Status text of running moves: label, MB copied and MB/s since the move started, one line each.
#include "mover/move_progress.h"

#include <algorithm>
#include <cstdio>

namespace pgload {

namespace {
constexpr int kRedrawPeriodMs = 500;
}  // namespace

MoveProgress::MoveProgress(bool enabled) : progress_(enabled, [this] { return render(); }, kRedrawPeriodMs) {}

std::shared_ptr<MoveProgress::Entry> MoveProgress::add(std::string label) {
  auto e = std::make_shared<Entry>();
  e->label = std::move(label);
  std::lock_guard lock(entries_mu_);
  entries_.push_back(e);
  return e;
}

void MoveProgress::remove(const std::shared_ptr<Entry>& e) {
  std::lock_guard lock(entries_mu_);
  entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
}

void MoveProgress::notice_moving(const MoveUnit& u) {
  progress_.print(stdout, "NOTICE:  Moving shard " + std::to_string(u.request.shard_id) + " from " +
                              u.source.endpoint() + " to " + u.target.endpoint() + " ...");
}

void MoveProgress::warn(const std::string& msg) { progress_.print(stderr, "pgmove: warning: " + msg); }

void MoveProgress::note(const std::shared_ptr<Entry>& e, const std::string& msg) {
  set_status(e, msg);
  progress_.print(stderr, "pgmove: " + msg);
}

void MoveProgress::set_status(const std::shared_ptr<Entry>& e, std::string status) {
  std::lock_guard lock(entries_mu_);
  e->status = std::move(status);
}

std::string MoveProgress::render() {
  std::lock_guard lock(entries_mu_);
  std::string out;
  for (const auto& e : entries_) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - e->start).count();
    double mb = static_cast<double>(e->bytes.load(std::memory_order_relaxed)) / 1e6;
    char line[512];
    std::snprintf(line, sizeof line, "  %s  %10.1f MB  %7.1f MB/s", e->label.c_str(), mb, s > 0 ? mb / s : 0.0);
    if (!out.empty()) out += '\n';
    out += line;
    if (!e->status.empty()) out += "  (" + e->status + ")";
  }
  return out;
}

}  // namespace pgload

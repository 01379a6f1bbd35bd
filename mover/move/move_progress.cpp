// Status text of running moves: label, phase, MB copied of the estimate, MB/s since the move started, one line
// each, and the run's ETA from the rate measured over the whole run so far.
#include "mover/move/move_progress.h"

#include <algorithm>
#include <cstdio>

#include "common/json_text.h"

namespace pgload {

namespace {
constexpr int kRedrawPeriodMs = 500;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

void MoveProgress::Entry::set_phase(const char* name) {
  phase.store(name);
  if (owner) owner->json_line(*this, name, false);
}

MoveProgress::MoveProgress(bool enabled)
    : progress_(
          enabled, [this] { return render(); }, kRedrawPeriodMs) {}

void MoveProgress::configure(bool json, uint64_t run_total_bytes) {
  json_ = json;
  run_total_bytes_ = run_total_bytes;
}

std::shared_ptr<MoveProgress::Entry> MoveProgress::add(std::string label) {
  auto e = std::make_shared<Entry>();
  e->label = std::move(label);
  e->owner = this;
  std::lock_guard lock(entries_mu_);
  entries_.push_back(e);
  return e;
}

void MoveProgress::remove(const std::shared_ptr<Entry>& e) {
  std::lock_guard lock(entries_mu_);
  entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
}

void MoveProgress::finish(const std::shared_ptr<Entry>& e) {
  finished_bytes_ += std::max(e->bytes.load(), e->total_bytes.load());
  json_line(*e, "done", true);
  remove(e);
}

double MoveProgress::run_eta_seconds() {
  uint64_t done = finished_bytes_.load();
  for (const auto& e : entries_) done += e->bytes.load(std::memory_order_relaxed);
  uint64_t total = std::max(run_total_bytes_.load(), done);
  return eta_seconds(done, total - done, seconds_since(run_start_));
}

void MoveProgress::json_line(const Entry& e, const char* phase, bool ended) {
  if (!json_) return;
  double s = seconds_since(e.start);
  double mb = static_cast<double>(e.bytes.load()) / 1e6;
  double eta;
  {
    std::lock_guard lock(entries_mu_);
    eta = run_eta_seconds();
  }
  char nums[256];
  std::snprintf(nums, sizeof nums,
                ",\"bytes_done\":%llu,\"bytes_total\":%llu,\"mb_per_s\":%.1f,\"elapsed_s\":%.3f,\"run_eta_s\":%.1f",
                static_cast<unsigned long long>(e.bytes.load()), static_cast<unsigned long long>(e.total_bytes.load()),
                s > 0 ? mb / s : 0.0, s, eta);
  std::string line = "{\"event\":\"move\",\"move\":" + json_quote(e.label) + ",\"phase\":" + json_quote(phase) + nums +
                     ",\"started_at\":" + json_quote(e.started_at) +
                     (ended ? ",\"ended_at\":" + json_quote(utc_timestamp()) : std::string()) + "}";
  progress_.print(stderr, line);
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
    double s = seconds_since(e->start);
    double mb = static_cast<double>(e->bytes.load(std::memory_order_relaxed)) / 1e6;
    double total_mb = static_cast<double>(e->total_bytes.load(std::memory_order_relaxed)) / 1e6;
    char line[640];
    std::snprintf(line, sizeof line, "  %s  %-16s %10.1f / %.1f MB  %7.1f MB/s", e->label.c_str(), e->phase.load(), mb,
                  total_mb, s > 0 ? mb / s : 0.0);
    if (!out.empty()) out += '\n';
    out += line;
    if (!e->status.empty()) out += "  (" + e->status + ")";
  }
  if (!entries_.empty() && run_total_bytes_.load() > 0)
    out += "\n  all moves: ETA " + format_eta(run_eta_seconds()) + " (" +
           std::to_string(static_cast<long long>(seconds_since(run_start_))) + " s in)";
  return out;
}

}  // namespace pgload

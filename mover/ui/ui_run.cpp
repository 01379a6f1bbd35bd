// UiRun: runs rebalance(), as `pgmove rebalance` does, with a MoveControl; progress is derived from the
// control's snapshot and the plan (which shards of which tables each unit carries).
#include "mover/ui/ui_run.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/conninfo.h"
#include "mover/cluster/session.h"
#include "mover/plan/planner.h"
#include "mover/rebalance.h"

namespace pgload {

namespace {
constexpr double kRateWindowS = 4.0;           // the rate (and so the ETA) follows a re-rate within a few seconds
constexpr double kBytesPerMB = 1024.0 * 1024;  // the page shows MB as --max-rate reads it (PostgreSQL's units)
}  // namespace

UiRun::UiRun(ConnectionOptions base, std::function<void()> on_end)
    : base_(std::move(base)), on_end_(std::move(on_end)) {}

UiRun::~UiRun() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    if (control_) control_->cancel();
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

bool UiRun::start(const UiRunRequest& request, std::string& why) {
  std::lock_guard lock(mu_);
  if (running_.load()) {
    why = "a rebalance is already running";
    return false;
  }
  if (thread_.joinable()) thread_.join();  // the previous run has ended; its thread is done
  running_ = true;
  control_ = std::make_shared<MoveControl>();
  control_->set_rate(request.max_rate_bytes_per_s);
  state_ = "planning";
  error_.clear();
  request_ = request;
  units_.clear();
  samples_.clear();
  strategy_name_.clear();
  mode_name_.clear();
  started_ = std::chrono::steady_clock::now();
  ended_ = {};
  thread_ = std::thread([this, request, control = control_] { run(request, control); });
  return true;
}

bool UiRun::set_rate(int64_t rate_bytes_per_s) {
  std::lock_guard lock(mu_);
  if (!running_.load() || !control_) return false;
  control_->set_rate(rate_bytes_per_s);
  request_.max_rate_bytes_per_s = rate_bytes_per_s;
  return true;
}

bool UiRun::stop() {
  std::lock_guard lock(mu_);
  if (!running_.load() || !control_) return false;
  control_->cancel();
  return true;
}

void UiRun::run(UiRunRequest request, std::shared_ptr<MoveControl> control) {
  std::string end_state = "finished", error;
  try {
    Session s(base_);
    RebalanceOptions options;
    options.strategy = request.strategy;
    options.mode = request.mode;
    options.executor.parallel = request.parallel;
    options.executor.max_rate_bytes_per_s = request.max_rate_bytes_per_s;
    options.executor.control = control.get();
    (void)rebalance(s.coordinator, s.catalog, options, [&](const RebalanceResult& planned) {
      std::vector<UnitPlan> units;
      for (const auto& m : planned.plan.moves) {
        control->expect_bytes(m.shard_id, m.shard_size);
        UnitPlan u;
        u.shard_id = m.shard_id;
        u.source = m.source_host + ":" + std::to_string(m.source_port);
        u.target = m.target_host + ":" + std::to_string(m.target_port);
        for (const PlannerShard* sh : unit_members(planned.state.shards, m.shard_id)) {
          auto it = planned.state.stats.find(sh->shard_id);
          u.table_shards.emplace_back(sh->table_name, it == planned.state.stats.end() ? 0 : it->second.bytes);
        }
        units.push_back(std::move(u));
      }
      std::lock_guard lock(mu_);
      units_ = std::move(units);
      strategy_name_ = planned.strategy.name;
      mode_name_ = planned.mode == TransferMode::Logical ? "logical" : "block_writes";
      state_ = "running";
    });
  } catch (const std::exception& e) {
    end_state = control->cancelled() ? "stopped" : "failed";
    error = redact_conninfo(e.what());
  }
  if (on_end_) {
    try {
      on_end_();
    } catch (const std::exception&) {  // the status refresher reports its own errors
    }
  }
  std::lock_guard lock(mu_);
  state_ = end_state;
  error_ = end_state == "stopped" ? "" : error;
  ended_ = std::chrono::steady_clock::now();
  running_ = false;
}

nlohmann::ordered_json UiRun::to_json() {
  std::lock_guard lock(mu_);
  nlohmann::ordered_json j;
  j["state"] = state_;
  if (!control_) return j;
  j["stopping"] = running_.load() && control_->cancelled();
  j["strategy"] = strategy_name_;
  j["mode"] = mode_name_;
  j["parallel"] = request_.parallel;
  j["max_rate_bytes_per_s"] = control_->rate_bytes_per_s();
  if (!error_.empty()) j["error"] = error_;
  const auto now = running_.load() ? std::chrono::steady_clock::now() : ended_;
  const double elapsed_s = std::chrono::duration<double>(now - started_).count();
  j["elapsed_s"] = elapsed_s;

  auto snaps = control_->snapshot();
  std::map<int64_t, const MoveControl::MoveSnapshot*> by_id;
  for (const auto& s : snaps) by_id[s.request.shard_id] = &s;
  uint64_t done_bytes = 0;
  int64_t total_bytes = 0;
  int moves_done = 0;
  struct NodeCount {
    int in_done = 0, in_total = 0, out_done = 0, out_total = 0;
  };
  std::map<std::string, NodeCount> nodes;
  struct TableCount {
    int shards = 0, moved = 0;
    int64_t bytes = 0, bytes_moved = 0;
  };
  std::map<std::string, TableCount> tables;
  nlohmann::ordered_json moves = nlohmann::ordered_json::array();
  for (const auto& u : units_) {
    auto it = by_id.find(u.shard_id);
    const MoveControl::MoveSnapshot* s = it == by_id.end() ? nullptr : it->second;
    const MovePhase phase = s ? s->phase : MovePhase::Queued;
    const bool done = phase == MovePhase::Done;
    const int64_t expected = s ? s->bytes_total : 0;
    // COPY bytes and relation sizes differ: the copied part of a unit is capped at its size, full once copied.
    const bool copied = done || phase == MovePhase::CatchingUp || phase == MovePhase::Switching;
    uint64_t unit_done = s ? s->bytes_done : 0;
    if (expected > 0) unit_done = copied ? static_cast<uint64_t>(expected) : std::min<uint64_t>(unit_done, expected);
    done_bytes += unit_done;
    total_bytes += expected;
    moves_done += done;
    const int n = static_cast<int>(u.table_shards.size());
    nodes[u.target].in_total += n;
    nodes[u.source].out_total += n;
    if (done) {
      nodes[u.target].in_done += n;
      nodes[u.source].out_done += n;
    }
    for (const auto& [table, bytes] : u.table_shards) {
      auto& t = tables[table];
      t.shards++;
      t.bytes += bytes;
      if (done) {
        t.moved++;
        t.bytes_moved += bytes;
      }
    }
    const double secs = s ? s->seconds : 0;
    const double mb_per_s = secs > 0 && s ? static_cast<double>(s->bytes_done) / kBytesPerMB / secs : 0;
    nlohmann::ordered_json m{
        {"shard_id", u.shard_id},
        {"source", u.source},
        {"target", u.target},
        {"shards", n},
        {"phase", !running_.load() && phase == MovePhase::Queued ? "not started" : move_phase_name(phase)},
        {"bytes_done", unit_done},
        {"bytes_total", expected},
        {"seconds", secs},
        {"mb_per_s", mb_per_s}};
    if (phase == MovePhase::Copying && mb_per_s > 0 && expected > 0)
      m["eta_s"] = static_cast<double>(expected - static_cast<int64_t>(unit_done)) / (mb_per_s * kBytesPerMB);
    moves.push_back(std::move(m));
  }
  j["moves"] = std::move(moves);
  j["moves_done"] = moves_done;
  j["moves_total"] = units_.size();
  j["bytes_done"] = done_bytes;
  j["bytes_total"] = total_bytes;

  // The rate over the last few seconds, so that a re-rate shows in the ETA soon.
  samples_.emplace_back(elapsed_s, done_bytes);
  while (samples_.size() > 2 && samples_.front().first < elapsed_s - kRateWindowS) samples_.pop_front();
  double rate = 0;
  if (samples_.size() >= 2 && samples_.back().first > samples_.front().first)
    rate = static_cast<double>(samples_.back().second - samples_.front().second) /
           (samples_.back().first - samples_.front().first);
  if (rate <= 0 && elapsed_s > 0) rate = static_cast<double>(done_bytes) / elapsed_s;
  j["mb_per_s"] = rate / kBytesPerMB;
  if (running_.load() && state_ == "running") {
    const double left = static_cast<double>(std::max<int64_t>(total_bytes - static_cast<int64_t>(done_bytes), 0));
    if (rate > 0) j["eta_s"] = left / rate;
  }
  nlohmann::ordered_json jn = nlohmann::ordered_json::array();
  for (const auto& [node, c] : nodes)
    jn.push_back({{"node", node},
                  {"moved_in", c.in_done},
                  {"in_total", c.in_total},
                  {"moved_out", c.out_done},
                  {"out_total", c.out_total}});
  j["nodes"] = std::move(jn);
  nlohmann::ordered_json jt = nlohmann::ordered_json::array();
  for (const auto& [name, c] : tables)
    jt.push_back({{"table_name", name},
                  {"shards", c.shards},
                  {"shards_moved", c.moved},
                  {"bytes", c.bytes},
                  {"bytes_moved", c.bytes_moved}});
  j["tables"] = std::move(jt);
  return j;
}

}  // namespace pgload

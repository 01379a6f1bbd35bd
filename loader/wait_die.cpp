// The watcher's sessions only read pg_stat_activity and pg_blocking_pids; a worker it cannot reach is skipped (the
// load's own connections report a worker that is gone).
#include "loader/wait_die.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "common/pg.h"

namespace pgload {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);

// This load's backends that wait for a lock, each with the application_name of a session holding it ('' for a
// prepared transaction, pid 0).
constexpr const char* kBlockedSql =
    "SELECT w.pid, b.pid, coalesce(h.application_name, '') "
    "FROM pg_catalog.pg_stat_activity w CROSS JOIN LATERAL unnest(pg_catalog.pg_blocking_pids(w.pid)) AS b(pid) "
    "LEFT JOIN pg_catalog.pg_stat_activity h ON h.pid = b.pid "
    "WHERE w.application_name = $1 AND w.wait_event_type = 'Lock' AND w.pid <> pg_catalog.pg_backend_pid()";

}  // namespace

std::string load_application_name(const LoadAge& age) {
  return "pgload " + age.run_id + " " + std::to_string(age.started_us);
}

std::optional<LoadAge> parse_load_application_name(const std::string& name) {
  constexpr std::string_view kPrefix = "pgload ";
  if (name.rfind(kPrefix, 0) != 0) return std::nullopt;
  const size_t sp = name.find(' ', kPrefix.size());
  if (sp == std::string::npos || sp == kPrefix.size()) return std::nullopt;
  const std::string run = name.substr(kPrefix.size(), sp - kPrefix.size());
  const std::string start = name.substr(sp + 1);
  if (start.empty() || !std::all_of(start.begin(), start.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !std::all_of(run.begin(), run.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return std::nullopt;
  try {
    return LoadAge{std::stoll(start), run};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

WaitDieWatcher::WaitDieWatcher(std::vector<std::pair<std::string, std::string>> workers, LoadAge me,
                               std::function<void(const OlderLoadInTheWay&)> on_die)
    : workers_(std::move(workers)), me_(std::move(me)), on_die_(std::move(on_die)) {
  thread_ = std::thread([this] { run(); });
}

WaitDieWatcher::~WaitDieWatcher() { stop(); }

void WaitDieWatcher::stop() noexcept {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WaitDieWatcher::run() {
  const std::string my_name = load_application_name(me_);
  std::map<std::string, PgConn> sessions;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, kPollInterval, [&] { return stopping_; })) return;
    }
    for (const auto& [endpoint, conninfo] : workers_) {
      try {
        PgConn& s = sessions[endpoint];
        if (!s) s = PgConn::connect(conninfo, "pgload watch");
        auto r = s.exec(kBlockedSql, {my_name});
        for (int i = 0; i < r.rows(); ++i) {
          // pid 0 is a prepared transaction: a load that is committing. Its rows are coming; keep waiting.
          auto holder = parse_load_application_name(r.str(i, 2));
          if (!holder || holder->run_id == me_.run_id || !(*holder < me_)) continue;
          on_die_({endpoint, std::stoi(r.str(i, 0)), *holder});
          return;
        }
      } catch (const std::exception&) {
        sessions.erase(endpoint);  // try again next round
      }
    }
  }
}

}  // namespace pgload

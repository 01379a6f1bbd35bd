// Wait-die among pgload loads. Two loads whose keys meet can each wait on a worker for the other's uncommitted rows
// on another worker: a distributed deadlock no single PostgreSQL node sees. Every load is ordered by (start time, run
// id), both in its worker sessions' application_name ("pgload <run> <start_us>"). While a load writes, this watcher
// asks each worker every 500 ms which of the load's backends wait for a lock and who holds it: when that is an older
// pgload load, this load dies (rolls back and fails cleanly); an older load waiting for a younger one just waits, the
// younger dies if it ever waits for it. A prepared holder (pid 0) is a commit in progress: keep waiting.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pgload {

// A load's place in the order: the smaller is older.
struct LoadAge {
  int64_t started_us = 0;
  std::string run_id;
  bool operator<(const LoadAge& o) const {
    return started_us != o.started_us ? started_us < o.started_us : run_id < o.run_id;
  }
};

// application_name of a load's worker sessions, and back; nullopt for any other application_name.
std::string load_application_name(const LoadAge& age);
std::optional<LoadAge> parse_load_application_name(const std::string& name);

// Where this load waits for an older one.
struct OlderLoadInTheWay {
  std::string endpoint;  // the worker
  int waiting_pid = 0;   // this load's backend there
  LoadAge older;
};

class WaitDieWatcher {
 public:
  // `workers`: endpoint and conninfo of each worker this load writes to. `on_die` is called once, on the watcher's
  // thread, when a backend of this load waits for an older load.
  WaitDieWatcher(std::vector<std::pair<std::string, std::string>> workers, LoadAge me,
                 std::function<void(const OlderLoadInTheWay&)> on_die);
  ~WaitDieWatcher();
  WaitDieWatcher(const WaitDieWatcher&) = delete;
  WaitDieWatcher& operator=(const WaitDieWatcher&) = delete;
  void stop() noexcept;

 private:
  void run();

  std::vector<std::pair<std::string, std::string>> workers_;
  LoadAge me_;
  std::function<void(const OlderLoadInTheWay&)> on_die_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pgload

// Where a move's wall time goes: each step's milliseconds, logged as one line per move with --verbose, so that the
// fixed costs of a small move (sessions, catalog reads, locks, the switch) can be told from the copy itself.
#pragma once

#include <chrono>
#include <string>

namespace pgload {

class StepTimes {
 public:
  // `what` names the move in the log line ("shard 102008").
  explicit StepTimes(std::string what);
  // Ends the step running since the last mark (or construction) and names it.
  void mark(const char* step);
  // Logs "<what>: steps (ms): connect 1.2, ...; total 45.6" at --verbose.
  void log() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_;
  std::string steps_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = start_;
};

}  // namespace pgload

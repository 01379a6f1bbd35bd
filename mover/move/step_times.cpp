// Timing is off the hot path (a handful of marks per move); formatting waits until the log line is wanted.
#include "mover/move/step_times.h"

#include <cstdio>
#include <utility>

#include "common/log.h"

namespace pgload {

namespace {
std::string ms(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::chrono::duration<double, std::milli>(d).count());
  return buf;
}
}  // namespace

StepTimes::StepTimes(std::string what) : what_(std::move(what)) {}

void StepTimes::mark(const char* step) {
  const Clock::time_point now = Clock::now();
  if (log::verbose()) steps_ += (steps_.empty() ? "" : ", ") + std::string(step) + " " + ms(now - last_);
  last_ = now;
}

void StepTimes::log() const {
  if (!log::verbose()) return;
  log::info("{}: steps (ms): {}; total {}", what_, steps_, ms(Clock::now() - start_));
}

}  // namespace pgload

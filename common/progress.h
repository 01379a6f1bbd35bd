// One status area on stderr, redrawn in place while a tool works (TTY only), shared by pgload's bar and pgmove's
// per-move lines; whole lines printed through it land above the status instead of garbling it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace pgload {

// Seconds left for `remaining_bytes` at the rate measured so far (done_bytes over elapsed_s); negative when no
// rate is known yet.
double eta_seconds(uint64_t done_bytes, uint64_t remaining_bytes, double elapsed_s) noexcept;
// "1h02m", "4m05s", "12s", or "?" for a negative ETA.
std::string format_eta(double seconds);
// UTC wall-clock time as ISO 8601 with milliseconds: 2026-12-01T21:18:43.123Z.
std::string utc_timestamp();

class Progress {
 public:
  // Formats the current state: one status line, or several separated by '\n' (no trailing newline); "" = none.
  // Called on the drawing thread with the output lock held, so it must be quick and must not print.
  using Render = std::function<std::string()>;

  // Draws every redraw_period_ms when `requested` and stderr is a terminal; otherwise draws nothing.
  Progress(bool requested, Render render, int redraw_period_ms);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Stops drawing and erases the status; idempotent.
  void stop();
  // Writes `line` plus a newline to `out` (stdout or stderr) and flushes it, above the status when one is drawn.
  // Thread-safe; works (as a plain locked write) when the status is disabled.
  void print(std::FILE* out, std::string_view line);
  bool drawing() const noexcept { return enabled_; }

 private:
  void run();
  void erase_locked();
  void draw_locked();

  const bool enabled_;
  const Render render_;
  const std::chrono::milliseconds redraw_period_;
  std::mutex mu_;  // guards the terminal and the fields below
  std::condition_variable cv_;
  bool stopped_ = false;
  int drawn_lines_ = 0;  // status lines on screen; the cursor sits at the end of the last one
  std::thread thread_;
};

}  // namespace pgload

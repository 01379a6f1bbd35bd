// Terminal drawing for Progress: the status is left without a trailing newline, so erasing it is "\r" plus
// clearing the line, and one cursor-up per extra line; a printed line replaces it, and the status is redrawn below.
#include "common/progress.h"

#include <unistd.h>

#include <cmath>
#include <ctime>

namespace pgload {

double eta_seconds(uint64_t done_bytes, uint64_t remaining_bytes, double elapsed_s) noexcept {
  if (done_bytes == 0 || elapsed_s <= 0) return -1;
  return static_cast<double>(remaining_bytes) * elapsed_s / static_cast<double>(done_bytes);
}

std::string format_eta(double seconds) {
  if (seconds < 0) return "?";
  auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // room for any int the format could print, so -Wformat-truncation has nothing to say
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

Progress::Progress(bool requested, Render render, int redraw_period_ms)
    : enabled_(requested && isatty(STDERR_FILENO) == 1), render_(std::move(render)), redraw_period_(redraw_period_ms) {
  if (enabled_) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() { stop(); }

void Progress::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  erase_locked();
}

void Progress::print(std::FILE* out, std::string_view line) {
  std::lock_guard lock(mu_);
  const bool redraw = drawn_lines_ > 0;
  erase_locked();
  std::fwrite(line.data(), 1, line.size(), out);
  std::fputc('\n', out);
  std::fflush(out);
  if (redraw && !stopped_) draw_locked();
}

void Progress::run() {
  std::unique_lock lock(mu_);
  while (!stopped_) {
    cv_.wait_for(lock, redraw_period_, [this] { return stopped_; });
    if (stopped_) break;
    erase_locked();
    draw_locked();
  }
}

void Progress::erase_locked() {
  if (drawn_lines_ == 0) return;
  std::fputs("\r\x1b[2K", stderr);
  for (int i = 1; i < drawn_lines_; ++i) std::fputs("\x1b[1A\x1b[2K", stderr);
  std::fflush(stderr);
  drawn_lines_ = 0;
}

void Progress::draw_locked() {
  std::string status = render_();
  if (status.empty()) return;
  int lines = 1;
  for (char ch : status) lines += ch == '\n';
  std::fputc('\r', stderr);  // from column 0 even if something left the cursor mid-line
  std::fputs(status.c_str(), stderr);
  std::fflush(stderr);
  drawn_lines_ = lines;
}

}  // namespace pgload

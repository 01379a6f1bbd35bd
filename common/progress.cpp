// Terminal drawing for Progress: the status is left without a trailing newline, so erasing it is "\r" plus
// clearing the line, and one cursor-up per extra line; a printed line replaces it, and the status is redrawn below.
#include "common/progress.h"

#include <unistd.h>

namespace pgload {

Progress::Progress(bool requested, Render render, int redraw_period_ms)
    : enabled_(requested && isatty(STDERR_FILENO) == 1),
      render_(std::move(render)),
      redraw_period_(redraw_period_ms) {
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

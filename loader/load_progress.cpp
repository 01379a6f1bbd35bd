// Formatting only; the counters it reads are bumped by the pipeline with relaxed atomics.
#include "loader/load_progress.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "loader/pipeline.h"

namespace pgload {

namespace {

constexpr int kRedrawPeriodMs = 250;

std::string format_bar(const LoadCounters& counters, uint64_t in, std::optional<uint64_t> total_bytes, double secs) {
  uint64_t rows = counters.rows.load(std::memory_order_relaxed);
  double mbps = secs > 0 ? static_cast<double>(in) / 1e6 / secs : 0;
  char line[256];
  if (total_bytes && *total_bytes > 0) {
    double frac = std::min(1.0, static_cast<double>(in) / static_cast<double>(*total_bytes));
    int filled = static_cast<int>(frac * 30);
    double eta = frac > 0 ? secs / frac - secs : 0;
    std::snprintf(line, sizeof line, "[%-30s] %5.1f%% %8.1f MB %12llu rows %7.1f MB/s ETA %4.0fs ",
                  std::string(filled, '#').c_str(), frac * 100, static_cast<double>(in) / 1e6,
                  static_cast<unsigned long long>(rows), mbps, eta);
  } else {
    std::snprintf(line, sizeof line, "%8.1f MB %12llu rows %7.1f MB/s ", static_cast<double>(in) / 1e6,
                  static_cast<unsigned long long>(rows), mbps);
  }
  return line;
}

}  // namespace

ProgressBar::ProgressBar(bool enabled, const LoadCounters& counters, std::function<uint64_t()> bytes_in,
                         std::optional<uint64_t> total_bytes, size_t files, std::function<size_t()> files_done)
    : progress_(
          enabled,
          [&counters, bytes_in = std::move(bytes_in), total_bytes, files, files_done = std::move(files_done),
           start = std::chrono::steady_clock::now()] {
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::string bar = format_bar(counters, bytes_in(), total_bytes, secs);
            if (files <= 1) return bar;
            return "files " + std::to_string(std::min(files_done(), files)) + "/" + std::to_string(files) + " " + bar;
          },
          kRedrawPeriodMs) {}

}  // namespace pgload

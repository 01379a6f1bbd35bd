// pgload's progress bar: what a running load shows on a TTY (files, bytes, rows, MB/s, and percent and ETA when the
// input size is known), drawn by common/progress.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "common/progress.h"

namespace pgload {

struct LoadCounters;

// Redraws one stderr line every 250 ms until stopped; does nothing unless enabled (TTY and not --quiet).
class ProgressBar {
 public:
  // With more than one input file the bar starts with "files D/N" (files_done() of files).
  ProgressBar(bool enabled, const LoadCounters& counters, std::function<uint64_t()> bytes_in,
              std::optional<uint64_t> total_bytes, size_t files, std::function<size_t()> files_done);
  void stop() { progress_.stop(); }

 private:
  Progress progress_;
};

}  // namespace pgload

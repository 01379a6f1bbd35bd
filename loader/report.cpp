// Formatting only: the end-of-load summary, as text or JSON.
#include "loader/report.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "common/json_text.h"

namespace pgload {

namespace {
// rows/s and MB/s of a report (0 when it took no time).
std::pair<double, double> rates(const LoadReport& r) {
  if (r.seconds <= 0) return {0, 0};
  return {static_cast<double>(r.rows) / r.seconds, static_cast<double>(r.bytes) / 1e6 / r.seconds};
}
}  // namespace

std::string report_json(const LoadReport& r) {
  char nums[256];
  const auto [rps, mbps] = rates(r);
  std::snprintf(nums, sizeof nums,
                "\"rows\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"rows_per_s\":%.0f,\"mb_per_s\":%.2f,\"rejected\":%llu",
                static_cast<unsigned long long>(r.rows), static_cast<unsigned long long>(r.bytes), r.seconds, rps, mbps,
                static_cast<unsigned long long>(r.rejected));
  std::string s = "{\"outcome\":\"" + r.outcome + "\",\"table\":" + json_quote(r.table) + "," + nums;
  std::snprintf(nums, sizeof nums, ",\"rejected_by_workers\":%llu,\"inserted\":%llu,\"updated\":%llu,\"skipped\":%llu",
                static_cast<unsigned long long>(r.refused), static_cast<unsigned long long>(r.inserted),
                static_cast<unsigned long long>(r.updated), static_cast<unsigned long long>(r.skipped));
  s += nums;
  s += ",\"shards\":{";
  for (size_t i = 0; i < r.shard_rows.size(); ++i)
    s += (i ? "," : "") +
         ("\"" + std::to_string(r.shard_rows[i].first) + "\":" + std::to_string(r.shard_rows[i].second));
  s += "},\"nodes\":{";
  for (size_t i = 0; i < r.node_rows.size(); ++i)
    s += (i ? "," : "") + (json_quote(r.node_rows[i].first) + ":" + std::to_string(r.node_rows[i].second));
  s += "},\"files\":[";
  for (size_t i = 0; i < r.files.size(); ++i)
    s += (i ? ",{\"url\":" : "{\"url\":") + json_quote(r.files[i].url) +
         ",\"rows\":" + std::to_string(r.files[i].rows) + ",\"bytes\":" + std::to_string(r.files[i].bytes) + "}";
  s += "]";
  if (!r.error.empty()) s += ",\"error\":" + json_quote(r.error);
  if (!r.warning.empty()) s += ",\"warning\":" + json_quote(r.warning);
  s += ",\"exit_code\":" + std::to_string(r.exit_code) + "}";
  return s;
}

namespace {

const char* plural(uint64_t n, const char* one, const char* many) { return n == 1 ? one : many; }

// Two columns, two spaces in front: the left one left-aligned, the counts right-aligned, both as wide as their
// widest cell (header included).
void append_table(std::string& s, const std::string& left_header, const std::vector<std::string>& left,
                  const std::vector<uint64_t>& counts, bool right_align_left) {
  size_t left_w = left_header.size(), count_w = 4;  // "rows"
  std::vector<std::string> numbers;
  for (const std::string& l : left) left_w = std::max(left_w, l.size());
  for (uint64_t n : counts) numbers.push_back(std::to_string(n)), count_w = std::max(count_w, numbers.back().size());
  auto pad = [](const std::string& text, size_t width, bool right) {
    const std::string fill(width - text.size(), ' ');
    return right ? fill + text : text + fill;
  };
  s += "  " + pad(left_header, left_w, right_align_left) + "  " + pad("rows", count_w, true) + "\n";
  for (size_t i = 0; i < left.size(); ++i)
    s += "  " + pad(left[i], left_w, right_align_left) + "  " + pad(numbers[i], count_w, true) + "\n";
}

}  // namespace

std::string report_text(const LoadReport& r, bool per_shard) {
  char head[512];
  const auto [rps, mbps] = rates(r);
  std::snprintf(head, sizeof head, "%s %llu %s (%.1f MB) into %s in %.2f s: %.0f rows/s, %.1f MB/s; %llu rejected\n",
                r.outcome == "dry_run" ? "dry run: would load" : "loaded", static_cast<unsigned long long>(r.rows),
                plural(r.rows, "row", "rows"), static_cast<double>(r.bytes) / 1e6, r.table.c_str(), r.seconds, rps,
                mbps, static_cast<unsigned long long>(r.rejected));
  std::string s = head;
  if (r.on_conflict && r.outcome != "dry_run") {
    s.pop_back();  // the '\n'
    std::snprintf(head, sizeof head, "; %llu inserted, %llu updated, %llu skipped\n",
                  static_cast<unsigned long long>(r.inserted), static_cast<unsigned long long>(r.updated),
                  static_cast<unsigned long long>(r.skipped));
    s += head;
  }
  if (per_shard) {
    std::vector<std::string> ids;
    std::vector<uint64_t> counts;
    for (const auto& [id, n] : r.shard_rows) ids.push_back(std::to_string(id)), counts.push_back(n);
    append_table(s, "shard", ids, counts, true);
  }
  std::vector<std::string> nodes;
  std::vector<uint64_t> counts;
  for (const auto& [node, n] : r.node_rows) nodes.push_back(node), counts.push_back(n);
  append_table(s, "node", nodes, counts, false);
  return s;
}

}  // namespace pgload

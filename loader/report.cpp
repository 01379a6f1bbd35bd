// Formatting only: the end-of-load summary, as text or JSON.
#include "loader/report.h"

#include <cstdio>

#include "common/json_text.h"

namespace pgload {

std::string report_json(const LoadReport& r) {
  char nums[256];
  double rps = r.seconds > 0 ? r.rows / r.seconds : 0, mbps = r.seconds > 0 ? r.bytes / 1e6 / r.seconds : 0;
  std::snprintf(nums, sizeof nums,
                "\"rows\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"rows_per_s\":%.0f,\"mb_per_s\":%.2f,\"rejected\":%llu",
                static_cast<unsigned long long>(r.rows), static_cast<unsigned long long>(r.bytes), r.seconds, rps, mbps,
                static_cast<unsigned long long>(r.rejected));
  std::string s = "{\"outcome\":\"" + r.outcome + "\",\"table\":" + json_quote(r.table) + "," + nums;
  s += ",\"shards\":{";
  for (size_t i = 0; i < r.shard_rows.size(); ++i)
    s += (i ? "," : "") + ("\"" + std::to_string(r.shard_rows[i].first) + "\":" + std::to_string(r.shard_rows[i].second));
  s += "},\"nodes\":{";
  for (size_t i = 0; i < r.node_rows.size(); ++i)
    s += (i ? "," : "") + (json_quote(r.node_rows[i].first) + ":" + std::to_string(r.node_rows[i].second));
  s += "}";
  if (!r.error.empty()) s += ",\"error\":" + json_quote(r.error);
  s += ",\"exit_code\":" + std::to_string(r.exit_code) + "}";
  return s;
}

std::string report_text(const LoadReport& r, bool per_shard) {
  char head[512];
  double rps = r.seconds > 0 ? r.rows / r.seconds : 0, mbps = r.seconds > 0 ? r.bytes / 1e6 / r.seconds : 0;
  std::snprintf(head, sizeof head, "%s %llu rows (%.1f MB) %s %s in %.2f s: %.0f rows/s, %.1f MB/s; %llu rejected\n",
                r.outcome == "dry_run" ? "dry run: would load" : "loaded", static_cast<unsigned long long>(r.rows),
                r.bytes / 1e6, r.outcome == "dry_run" ? "into" : "into", r.table.c_str(), r.seconds, rps, mbps,
                static_cast<unsigned long long>(r.rejected));
  std::string s = head;
  if (per_shard) {
    s += "  shard      rows\n";
    for (auto& [id, n] : r.shard_rows) s += "  " + std::to_string(id) + "  " + std::to_string(n) + "\n";
  }
  s += "  node                 rows\n";
  for (auto& [node, n] : r.node_rows) {
    std::string left = "  " + node;
    if (left.size() < 22) left.resize(22, ' ');
    s += left + " " + std::to_string(n) + "\n";
  }
  return s;
}

}  // namespace pgload

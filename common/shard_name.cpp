// Citus's shard naming (AppendShardIdToName) mirrored byte for byte: the loader and the mover must address the
// tables Citus created, and cluster/catalog.sql (pgcluster.shard_name) applies the same rule in SQL.
#include "common/shard_name.h"

#include <cstdio>

#include "common/citus_hash.h"

namespace pgload {

namespace {

// pg_mbcliplen for UTF-8: the byte length of the longest prefix of whole characters that fits in limit_bytes.
size_t utf8_clip_length(std::string_view s, size_t limit_bytes) noexcept {
  size_t at = 0;
  while (at < s.size()) {
    const auto lead = static_cast<unsigned char>(s[at]);
    size_t width = 1;
    if (lead >= 0xF0)
      width = 4;
    else if (lead >= 0xE0)
      width = 3;
    else if (lead >= 0xC0)
      width = 2;
    if (at + width > limit_bytes) break;
    at += width;
  }
  return at < s.size() ? at : s.size();
}

}  // namespace

std::string citus_shard_name(std::string_view name, int64_t shard_id) {
  const std::string suffix = "_" + std::to_string(shard_id);
  if (name.size() < kNameDataLen - suffix.size()) return std::string(name) + suffix;
  // 10 = the separator and 8 hex digits of the hash, plus the terminating NUL Citus counts in NAMEDATALEN.
  const size_t clip = utf8_clip_length(name, kNameDataLen - suffix.size() - 10);
  char hash_hex[9];
  std::snprintf(hash_hex, sizeof hash_hex, "%08x", static_cast<unsigned>(hash_bytes(name.data(), name.size())));
  return std::string(name.substr(0, clip)) + "_" + hash_hex + suffix;
}

}  // namespace pgload

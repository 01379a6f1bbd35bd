// The name Citus gives a shard (or a shard's index or constraint): `<name>_<shardid>`, shortened the way Citus's
// AppendShardIdToName does when that would not fit in NAMEDATALEN. Every shard table name comes from here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgload {

// PostgreSQL's NAMEDATALEN: a name holds at most kNameDataLen - 1 bytes.
inline constexpr size_t kNameDataLen = 64;

// `name` (a relation, index or constraint name, UTF-8, at most 63 bytes) with `_<shard_id>` appended. When
// name + suffix would not fit in 63 bytes, Citus keeps the longest prefix of whole UTF-8 characters of at most
// 63 - 9 - len(suffix) bytes and inserts `_` + 8 lower-case hex digits of hash_any(name) before the suffix
// (Citus 13 relay_event_utility.c, AppendShardIdToName).
std::string citus_shard_name(std::string_view name, int64_t shard_id);

}  // namespace pgload

// Routes a row to its shard exactly as Citus does: the distribution column's PostgreSQL hash, then the shard
// whose [shardminvalue, shardmaxvalue] holds it. Reference tables have one shard that every row goes to.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/catalog.h"
#include "common/citus_hash.h"
#include "common/shard_map.h"

namespace pgload {

class Router {
 public:
  // Throws LoadError when the table's distribution column type has no supported hash.
  explicit Router(const Table& table);
  Router(const Router&) = delete;  // type_ views enum_'s labels
  Router& operator=(const Router&) = delete;
  bool by_hash() const noexcept { return kind_.has_value(); }
  // The message for a value route() gave -1 for (value already excerpted for printing), e.g. `invalid bigint
  // distribution value "abc"` or `timestamptz value "Jan 8 1999" is in a form pgload cannot hash (use ISO 8601
  // with an offset)`.
  std::string refusal(std::string_view value, std::string_view excerpt) const;
  // Shard index for a distribution value (unquoted text); -1 when the text is not a valid value of the column
  // type, -2 when no shard's range holds its hash (a gap in pg_dist_shard).
  int route(std::string_view value) const noexcept {
    if (!kind_) return 0;
    int32_t hash;
    if (!hash_text_value(type_, value, hash)) return -1;
    int idx = map_.index_of(hash);
    return idx < 0 ? -2 : idx;
  }
  // The same for a value the pipeline parsed once (parse_pg_input with the column's ColumnType): hashed from the
  // parsed value when there is one; a value the parse did not take is hashed from its text, as route() would, so
  // the refusal and the error paths stay the same.
  int route(const PgInput& parsed, std::string_view value) const noexcept {
    if (!kind_) return 0;
    int32_t hash;
    if (!(value_hashable_ && parsed.status == PgInput::Status::Value ? hash_pg_input(*kind_, parsed, hash)
                                                                     : hash_text_value(type_, value, hash)))
      return -1;
    int idx = map_.index_of(hash);
    return idx < 0 ? -2 : idx;
  }
  // The shard for a hash computed from a typed value (-2 in a gap); the kind says which hash that must be.
  int route_hash(int32_t hash) const noexcept {
    if (!kind_) return 0;
    int idx = map_.index_of(hash);
    return idx < 0 ? -2 : idx;
  }
  std::optional<DistKind> kind() const noexcept { return kind_; }

 private:
  std::optional<DistKind> kind_;
  DistType type_;
  bool value_hashable_ = false;         // the column's parsed value is the one hash_pg_input hashes for kind_
  std::string type_name_;               // for messages, as value_check names the type
  std::shared_ptr<const PgEnum> enum_;  // an enum column's labels; type_.enum_labels views them
  ShardMap map_;
};

}  // namespace pgload

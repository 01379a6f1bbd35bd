// Shard lookup by hash value, mirroring Citus (src/backend/distributed/utils/shardinterval_utils.c and
// src/backend/distributed/metadata/metadata_cache.c); the comments name the Citus function each part follows.
#include "common/shard_map.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace pgload {
namespace {

// HASH_TOKEN_COUNT (src/include/distributed/metadata_utility.h): the size of the int32 hash space.
constexpr int64_t kHashTokenCount = int64_t{1} << 32;

// The bounds Citus computes for shard `index` of `count` (HasUniformHashDistribution, create_shards.c):
//   min = PG_INT32_MIN + index * increment;  max = min + (increment - 1);  the last shard's max is PG_INT32_MAX.
// Citus evaluates these in uint64 and stores them in int32, i.e. modulo 2^32; uint32 arithmetic is the same thing.
struct Tokens {
  int32_t min_value;
  int32_t max_value;
};
Tokens uniform_tokens(int64_t index, int64_t count) noexcept {
  const auto increment = static_cast<uint64_t>(kHashTokenCount / count);
  const auto offset = static_cast<uint32_t>(static_cast<uint64_t>(index) * increment);
  const auto min_bits = static_cast<uint32_t>(0x80000000u + offset);
  const auto max_bits = static_cast<uint32_t>(min_bits + static_cast<uint32_t>(increment - 1));
  Tokens t{static_cast<int32_t>(min_bits), static_cast<int32_t>(max_bits)};
  if (index == count - 1) t.max_value = INT32_MAX;
  return t;
}

}  // namespace

ShardMap::ShardMap(std::vector<ShardRange> ranges) : ranges_(std::move(ranges)) {
  // SortShardIntervalArray / CompareShardIntervals: by min value, equal mins by shard id.
  std::sort(ranges_.begin(), ranges_.end(), [](const ShardRange& l, const ShardRange& r) {
    return l.min_value != r.min_value ? l.min_value < r.min_value : l.shard_id < r.shard_id;
  });
  for (size_t i = 0; i < ranges_.size(); ++i) {
    if (ranges_[i].min_value > ranges_[i].max_value)
      throw std::invalid_argument("shard " + std::to_string(ranges_[i].shard_id) + " has min value " +
                                  std::to_string(ranges_[i].min_value) + " > max value " +
                                  std::to_string(ranges_[i].max_value));
    // HasOverlappingShardInterval: the previous shard's max must be below this shard's min.
    if (i > 0 && ranges_[i - 1].max_value >= ranges_[i].min_value)
      throw std::invalid_argument(
          "hash partitioned table has overlapping shards: " + std::to_string(ranges_[i - 1].shard_id) + " and " +
          std::to_string(ranges_[i].shard_id));
  }
  if (ranges_.size() > static_cast<size_t>(INT32_MAX)) throw std::invalid_argument("too many shards");

  // HasUniformHashDistribution (metadata_cache.c): no shards is not uniform; otherwise every shard must have exactly
  // the bounds create_distributed_table would have given it.
  const auto count = static_cast<int64_t>(ranges_.size());
  uniform_ = count > 0;
  for (int64_t i = 0; i < count && uniform_; ++i) {
    const Tokens t = uniform_tokens(i, count);
    uniform_ = ranges_[i].min_value == t.min_value && ranges_[i].max_value == t.max_value;
  }
  hash_range_size_ = count > 0 ? kHashTokenCount / count : 0;
}

std::vector<ShardRange> ShardMap::uniform_ranges(int shard_count, int64_t first_shard_id) {
  if (shard_count < 1) throw std::invalid_argument("shard_count must be >= 1, got " + std::to_string(shard_count));
  std::vector<ShardRange> out;
  out.reserve(static_cast<size_t>(shard_count));
  for (int64_t i = 0; i < shard_count; ++i) {
    const Tokens t = uniform_tokens(i, shard_count);
    out.push_back(ShardRange{first_shard_id + i, t.min_value, t.max_value});
  }
  return out;
}

int ShardMap::index_of(int32_t hash) const noexcept {
  const auto count = static_cast<int>(ranges_.size());
  if (count == 0) return -1;  // FindShardIntervalIndex: INVALID_SHARD_INDEX without shards
  if (!uniform_) return binary_search(hash);
  // CalculateUniformHashRangeIndex (shardinterval_utils.c): normalize to [0, 2^32), divide by the range size; when
  // the count is not a power of two the last shard is a little wider and the quotient can equal count.
  const int64_t normalized = static_cast<int64_t>(hash) - INT32_MIN;
  auto index = static_cast<int>(normalized / hash_range_size_);
  if (index == count) index = count - 1;
  return index;
}

int ShardMap::binary_search(int32_t hash) const noexcept {
  // SearchCachedShardInterval (shardinterval_utils.c) over the sorted, non-overlapping ranges.
  int lower = 0;
  int upper = static_cast<int>(ranges_.size());
  while (lower < upper) {
    const int middle = (lower + upper) / 2;
    if (hash < ranges_[middle].min_value) {
      upper = middle;
      continue;
    }
    if (hash <= ranges_[middle].max_value) return middle;
    lower = middle + 1;
  }
  return -1;
}

}  // namespace pgload

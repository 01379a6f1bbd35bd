// Which shard of a hash-distributed table holds a hash value, decided exactly as Citus decides it
// (FindShardIntervalIndex in src/backend/distributed/utils/shardinterval_utils.c): arithmetic when the ranges are
// the uniform ones Citus creates, binary search otherwise. Built once per table; index_of is the per-row hot path.
#pragma once

#include <cstdint>
#include <vector>

namespace pgload {

// One row of pg_dist_shard for a hash-distributed table (shardminvalue/shardmaxvalue are inclusive int32 bounds).
struct ShardRange {
  int64_t shard_id;
  int32_t min_value;
  int32_t max_value;
};

class ShardMap {
 public:
  // Sorts by (min_value, shard_id) like Citus's SortShardIntervalArray. Throws std::invalid_argument if a range has
  // min_value > max_value or two ranges overlap (Citus refuses such tables: "hash partitioned table has overlapping
  // shards"). Gaps are allowed; hashes in a gap map to -1. An empty map maps everything to -1.
  explicit ShardMap(std::vector<ShardRange> ranges);

  // The ranges Citus's create_distributed_table gives `shard_count` shards (CreateShardsWithRoundRobinPolicy in
  // src/backend/distributed/operations/create_shards.c), ids first_shard_id, first_shard_id + 1, ...
  // Throws std::invalid_argument unless shard_count >= 1.
  static std::vector<ShardRange> uniform_ranges(int shard_count, int64_t first_shard_id);

  // Index into ranges() of the shard whose [min_value, max_value] holds `hash`, or -1 if none does.
  int index_of(int32_t hash) const noexcept;
  // Sorted ranges.
  const std::vector<ShardRange>& ranges() const noexcept { return ranges_; }
  // True when Citus's HasUniformHashDistribution holds, i.e. index_of uses arithmetic, not binary search.
  bool uniform() const noexcept { return uniform_; }

 private:
  int binary_search(int32_t hash) const noexcept;

  std::vector<ShardRange> ranges_;
  bool uniform_ = false;
  int64_t hash_range_size_ = 0;  // 2^32 / shard count, only meaningful when uniform_
};

}  // namespace pgload

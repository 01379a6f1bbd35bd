// Per-shard batches without copies in the serial stage: a chunk's rows for a shard move into the shard's open
// batch as one piece (the chunk gets a spare buffer back), and seal(), in a stage of its own, sorts the rows by
// the distribution key into the order the COPY sends them in, without copying a row: the batch keeps the pieces.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loader/copy_sink.h"

namespace pgload {

// One chunk's rows for one shard: CSV records each ending in '\n', or binary rows (no header).
struct ShardRows {
  std::string data;
  std::vector<RowOrigin> rows;
  PieceStart start;  // what the rows' origins count from
  void clear() noexcept {
    data.clear();
    rows.clear();
  }
};

// Rows of one shard collected from several chunks, not yet one buffer.
struct OpenBatch {
  int shard_index = 0;
  bool binary = false;
  std::vector<std::string> pieces;  // in input order
  // The origins of each piece's rows (moved in with it, not copied: seal gathers them once).
  std::vector<std::vector<RowOrigin>> rows;
  std::vector<PieceStart> starts;  // each piece's
  size_t row_count = 0;
  size_t bytes = 0;
  size_t limit = 0;  // sealed at this many bytes
};

class ShardBatcher {
 public:
  // `sort`: order each batch by RowOrigin::sort_key (B-tree inserts then walk neighbouring pages). `exact_keys`:
  // equal distribution values always have equal sort keys (sort_key_is_exact), so a sealed batch can tell
  // whether a distribution value repeats in it.
  // Shard s seals its first batch at batch_bytes * (s + 1) / shards: with evenly spread keys every shard fills at
  // the same rate, and equal limits would hold back all rows until about shards * batch_bytes of input were read.
  ShardBatcher(size_t shards, size_t batch_bytes, bool sort, bool exact_keys = false);

  // Serial stage: moves `out` into shard `shard`'s open batch of its kind and leaves `out` empty (with a spare
  // buffer); a batch that reaches batch_bytes is appended to `full`.
  void add(size_t shard, bool binary, ShardRows& out, std::vector<OpenBatch>& full);
  // The batches still open, at the end of the input; the batcher starts empty batches in their place.
  std::vector<OpenBatch> drain();

  // Thread-safe against add(): the rows sorted by sort key, ties in input order, with their pieces (which go back
  // to the spare buffers when the sink drops the batch), so that server errors still map to input lines.
  // Not reentrant: one seal at a time (the pipeline's last stage is serial), as it reuses its sort scratch.
  std::shared_ptr<Batch> seal(OpenBatch&& open);

 private:
  // Shard b's batch, and an empty one in its place that seals at batch_bytes.
  OpenBatch take_open(OpenBatch& b) const;

  // Spare piece buffers (from the batches the sink dropped) and row vectors, and seal's scratch: shared with the
  // batches' deleters, which may outlive the batcher.
  struct Recycled;

  size_t batch_bytes_;
  bool sort_;
  bool exact_keys_;
  std::vector<OpenBatch> open_csv_, open_bin_;
  std::shared_ptr<Recycled> recycled_;
};

}  // namespace pgload

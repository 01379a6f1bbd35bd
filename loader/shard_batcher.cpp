#include "loader/shard_batcher.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "loader/binary_row.h"

namespace pgload {
namespace {

constexpr size_t kMaxSpareBytes = size_t{16} << 20;  // what the pool may keep: beyond it, buffers are freed
// Row lists of sealed batches kept (each as long as its batch).
constexpr size_t kKeptRowVectors = 2;
constexpr size_t kWideDigitRows = 4096;  // radix_sort: batches of this many rows sort 12-bit digits

struct KeyAt {
  uint64_t key;
  uint32_t index;  // the row's input position
};

// Stable LSD radix sort by key: ties keep input order with no tie-break. It sorts only the bits from the lowest to
// the highest where some keys differ, in digits of up to 12 bits (a count table of 4,096 that stays in L1; 8 bits
// for small batches, where the table would cost more than the rows): ids below 2^24 take two passes, not three. A
// digit that every key shares costs no pass. `tmp` is scratch of the same size.
void radix_sort(std::vector<KeyAt>& v, std::vector<KeyAt>& tmp) {
  uint64_t differ = 0;  // bits where some key differs from the first
  for (const KeyAt& k : v) differ |= k.key ^ v.front().key;
  if (differ == 0) return;
  const int lo = __builtin_ctzll(differ);
  const int hi = 64 - __builtin_clzll(differ);
  const int max_bits = v.size() >= kWideDigitRows ? 12 : 8;
  const int passes = (hi - lo + max_bits - 1) / max_bits;
  const int bits = (hi - lo + passes - 1) / passes;  // digits of even width
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  tmp.resize(v.size());
  std::array<uint32_t, size_t{1} << 12> c;
  for (int shift = lo; shift < hi; shift += bits) {
    if (((differ >> shift) & mask) == 0) continue;
    std::fill_n(c.begin(), size_t{1} << bits, 0);
    for (const KeyAt& k : v) ++c[(k.key >> shift) & mask];
    uint32_t at = 0;
    for (size_t d = 0; d < (size_t{1} << bits); ++d) at += std::exchange(c[d], at);
    for (const KeyAt& k : v) tmp[c[(k.key >> shift) & mask]++] = k;
    v.swap(tmp);
  }
}

}  // namespace

// Buffers are kept for reuse: allocated fresh, megabytes are mmap'd, faulted in page by page and unmapped again
// (a tenth of a load's CPU went to those page faults). Kept here, the next rows go into pages already mapped.
struct ShardBatcher::Recycled {
  std::mutex mu;
  // Piece buffers of the batches the sink dropped, and the row vectors of sealed pieces, for the chunks.
  std::vector<std::string> pieces;
  std::vector<std::vector<RowOrigin>> piece_rows;
  size_t spare_bytes = 0;  // their capacity
  // Row lists of the batches the sink dropped, for the next seals.
  std::vector<std::vector<BatchRow>> rows;
  // seal's scratch (seal is not reentrant): the sort's pairs, and the rows in sorted order
  std::vector<KeyAt> order, sort_tmp;
  std::vector<BatchRow> sorted;

  template <typename T>
  static size_t bytes_of(const T& v) {
    return v.capacity() * sizeof(typename T::value_type);
  }
  // Row lists are kept by count, the chunks' piece buffers and row vectors by their bytes.
  template <typename T>
  static constexpr bool kRowList = std::is_same_v<T, std::vector<BatchRow>>;

  // A kept buffer or vector (empty when there is none).
  template <typename T>
  T take(std::vector<T>& from) {
    std::lock_guard lock(mu);
    if (from.empty()) return {};
    T v = std::move(from.back());
    from.pop_back();
    if constexpr (!kRowList<T>) spare_bytes -= bytes_of(v);
    return v;
  }
  // Keeps `v`, cleared, while fewer than kKeptRowVectors row lists or kMaxSpareBytes of spare buffers are kept;
  // frees it otherwise. T deduced from `into` only: `v` is an rvalue, not a forwarding reference.
  template <typename T>
  void put(std::vector<T>& into, std::type_identity_t<T>&& v) {
    v.clear();
    const size_t bytes = bytes_of(v);
    std::lock_guard lock(mu);
    if (bytes == 0) return;
    if constexpr (kRowList<T>) {
      if (into.size() >= kKeptRowVectors) return;
    } else {
      if (spare_bytes + bytes > kMaxSpareBytes) return;
      spare_bytes += bytes;
    }
    into.push_back(std::move(v));
  }
};

ShardBatcher::ShardBatcher(size_t shards, size_t batch_bytes, bool sort, bool exact_keys)
    : batch_bytes_(batch_bytes),
      sort_(sort),
      exact_keys_(exact_keys),
      open_csv_(shards),
      open_bin_(shards),
      recycled_(std::make_shared<Recycled>()) {
  for (size_t s = 0; s < shards; ++s) {
    open_csv_[s].shard_index = open_bin_[s].shard_index = static_cast<int>(s);
    open_bin_[s].binary = true;
    open_csv_[s].limit = open_bin_[s].limit = std::max<size_t>(1, batch_bytes * (s + 1) / shards);
  }
}

void ShardBatcher::add(size_t shard, bool binary, ShardRows& out, std::vector<OpenBatch>& full) {
  OpenBatch& b = binary ? open_bin_[shard] : open_csv_[shard];
  b.bytes += out.data.size();
  b.row_count += out.rows.size();
  Recycled& r = *recycled_;
  b.pieces.push_back(std::exchange(out.data, r.take(r.pieces)));
  b.rows.push_back(std::exchange(out.rows, r.take(r.piece_rows)));
  b.starts.push_back(out.start);
  if (b.bytes >= b.limit) full.push_back(take_open(b));
}

std::vector<OpenBatch> ShardBatcher::drain() {
  std::vector<OpenBatch> left;
  for (auto* open : {&open_csv_, &open_bin_})
    for (OpenBatch& b : *open)
      if (b.row_count > 0) left.push_back(take_open(b));
  return left;
}

OpenBatch ShardBatcher::take_open(OpenBatch& b) const {
  OpenBatch next;
  next.shard_index = b.shard_index;
  next.binary = b.binary;
  next.limit = batch_bytes_;
  return std::exchange(b, std::move(next));
}

std::shared_ptr<Batch> ShardBatcher::seal(OpenBatch&& open) {
  Recycled& r = *recycled_;
  // The batch's buffers go back to the pool when the sink drops it (on the sink's thread).
  std::shared_ptr<Batch> batch(new Batch, [recycled = recycled_](Batch* b) {
    for (std::string& p : b->pieces) recycled->put(recycled->pieces, std::move(p));
    for (std::vector<RowOrigin>& v : b->origins) recycled->put(recycled->piece_rows, std::move(v));
    recycled->put(recycled->rows, std::move(b->rows));
    delete b;
  });
  batch->shard_index = open.shard_index;
  batch->binary = open.binary;
  batch->copy_bytes = open.bytes + (open.binary ? kBinaryHeaderBytes + 2 : 0);
  // The rows in input order, their (key, position) pairs, and whether the keys are already in order: one pass over
  // the origins, which later steps do not read again (after a sort they lie in no useful order).
  std::vector<BatchRow>& rows = batch->rows;
  rows = r.take(r.rows);
  rows.reserve(open.row_count);
  std::vector<KeyAt>& order = r.order;  // only a sorted batch needs the pairs
  order.resize(sort_ ? open.row_count : 0);
  bool in_order = true;
  uint64_t last = 0;
  uint32_t n = 0;
  for (size_t p = 0; p < open.pieces.size(); ++p) {
    const char* bytes = open.pieces[p].data();
    for (const RowOrigin& o : open.rows[p]) {
      if (sort_) {
        order[n] = {o.sort_key, n};
        ++n;
        in_order = in_order && o.sort_key >= last;
        last = o.sort_key;
      }
      rows.push_back({bytes, &o, o.bytes, static_cast<uint32_t>(p)});
      bytes += o.bytes;
    }
  }
  if (sort_ && !in_order) {
    // Sorting 16-byte (key, position) pairs touches no row: much cheaper than an indirect stable sort.
    radix_sort(order, r.sort_tmp);
    std::vector<BatchRow>& sorted = r.sorted;
    sorted.resize(rows.size());
    for (size_t i = 0; i < order.size(); ++i) sorted[i] = rows[order[i].index];
    rows.swap(sorted);  // the input-order list stays as scratch
  }
  if (sort_ && exact_keys_) {  // `order` is the rows' order now
    const auto same = [](const KeyAt& x, const KeyAt& y) { return x.key == y.key; };
    batch->keys_distinct = std::adjacent_find(order.begin(), order.end(), same) == order.end();
  }
  for (const std::string& p : open.pieces) batch->memory_bytes += p.capacity();
  // Moved, not copied: `rows` points into them.
  batch->pieces = std::move(open.pieces);
  batch->origins = std::move(open.rows);
  batch->starts = std::move(open.starts);
  return batch;
}

}  // namespace pgload

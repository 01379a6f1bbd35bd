#include "loader/shard_batcher.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "loader/binary_row.h"

namespace pgload {
namespace {

constexpr size_t kMaxSpareBytes = size_t{16} << 20;  // what the pool may keep: beyond it, buffers are freed
// Sealed batches' buffers kept for the next seals: the two whole batches loader/memory_budget.cpp counts for sealing.
constexpr size_t kKeptBatchBuffers = 2;
// Row-origin vectors of sealed batches kept (each as long as its batch).
constexpr size_t kKeptRowVectors = 2;

struct KeyAt {
  uint64_t key;
  uint32_t index;  // the row's input position
};

struct RowAt {
  const char* bytes;
  const RowOrigin* origin;
};

// Stable LSD radix sort by key, a byte per pass: ties keep input order with no tie-break, and a byte that every key
// shares (the high bytes of small integer keys) costs no pass. `tmp` is scratch of the same size.
void radix_sort(std::vector<KeyAt>& v, std::vector<KeyAt>& tmp) {
  uint64_t differ = 0;  // bits where some key differs from the first
  for (const KeyAt& k : v) differ |= k.key ^ v.front().key;
  tmp.resize(v.size());
  for (size_t b = 0; b < 8; ++b) {
    if (((differ >> (8 * b)) & 0xFF) == 0) continue;
    std::array<uint32_t, 256> c{};
    for (const KeyAt& k : v) ++c[(k.key >> (8 * b)) & 0xFF];
    uint32_t at = 0;
    for (uint32_t& n : c) at += std::exchange(n, at);
    for (const KeyAt& k : v) tmp[c[(k.key >> (8 * b)) & 0xFF]++] = k;
    v.swap(tmp);
  }
}

}  // namespace

// A batch's buffers are megabytes: allocated fresh for every batch they are mmap'd, faulted in page by page and
// unmapped again when the sink drops the batch (a tenth of a load's CPU went to those page faults). Kept here,
// the next batches write into pages that are already mapped.
struct ShardBatcher::Recycled {
  std::mutex mu;
  std::vector<std::string> data;
  std::vector<std::vector<RowOrigin>> rows;
  // seal's scratch (seal is not reentrant): each row's bytes and origin, and the sort's pairs
  std::vector<RowAt> at;
  std::vector<KeyAt> order, sort_tmp;

  std::vector<RowOrigin> take_rows() {
    std::lock_guard lock(mu);
    if (rows.empty()) return {};
    std::vector<RowOrigin> v = std::move(rows.back());
    rows.pop_back();
    return v;
  }
  void put_rows(std::vector<RowOrigin>&& v) {
    v.clear();
    std::lock_guard lock(mu);
    if (v.capacity() > 0 && rows.size() < kKeptRowVectors) rows.push_back(std::move(v));
  }
  std::string take_data() {
    std::lock_guard lock(mu);
    if (data.empty()) return {};
    std::string d = std::move(data.back());
    data.pop_back();
    return d;
  }
  void put_data(std::string&& d) {
    d.clear();
    std::lock_guard lock(mu);
    if (d.capacity() > 0 && data.size() < kKeptBatchBuffers) data.push_back(std::move(d));
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

std::string ShardBatcher::spare_buffer() {
  std::lock_guard lock(spare_mu_);
  if (spare_.empty()) return {};
  std::string b = std::move(spare_.back());
  spare_.pop_back();
  spare_bytes_ -= b.capacity();
  return b;
}

std::vector<RowOrigin> ShardBatcher::spare_rows() {
  std::lock_guard lock(spare_mu_);
  if (spare_rows_.empty()) return {};
  std::vector<RowOrigin> v = std::move(spare_rows_.back());
  spare_rows_.pop_back();
  spare_bytes_ -= v.capacity() * sizeof(RowOrigin);
  return v;
}

void ShardBatcher::give_back(std::string&& buffer, std::vector<RowOrigin>&& rows) {
  buffer.clear();
  rows.clear();
  std::lock_guard lock(spare_mu_);
  const size_t rows_bytes = rows.capacity() * sizeof(RowOrigin);
  if (spare_bytes_ + buffer.capacity() + rows_bytes > kMaxSpareBytes) return;  // freed here
  spare_bytes_ += buffer.capacity() + rows_bytes;
  spare_.push_back(std::move(buffer));
  spare_rows_.push_back(std::move(rows));
}

void ShardBatcher::add(size_t shard, bool binary, ShardRows& out, std::vector<OpenBatch>& full) {
  OpenBatch& b = binary ? open_bin_[shard] : open_csv_[shard];
  b.bytes += out.data.size();
  b.row_count += out.rows.size();
  b.pieces.push_back(std::exchange(out.data, spare_buffer()));
  b.rows.push_back(std::exchange(out.rows, spare_rows()));
  if (b.bytes < b.limit) return;
  OpenBatch next;
  next.shard_index = b.shard_index;
  next.binary = b.binary;
  next.limit = batch_bytes_;
  full.push_back(std::exchange(b, std::move(next)));
}

std::vector<OpenBatch> ShardBatcher::drain() {
  std::vector<OpenBatch> left;
  for (auto* open : {&open_csv_, &open_bin_})
    for (OpenBatch& b : *open)
      if (b.row_count > 0) left.push_back(std::move(b));
  return left;
}

std::shared_ptr<Batch> ShardBatcher::seal(OpenBatch&& open) {
  Recycled& r = *recycled_;
  // The batch's buffers go back to the pool when the sink drops it (on the sink's thread).
  std::shared_ptr<Batch> batch(new Batch, [recycled = recycled_](Batch* b) {
    recycled->put_data(std::move(b->data));
    recycled->put_rows(std::move(b->rows));
    delete b;
  });
  batch->shard_index = open.shard_index;
  batch->binary = open.binary;
  std::string& data = batch->data;
  data = r.take_data();
  data.reserve(open.bytes + kBinaryHeaderBytes + 2);
  if (open.binary) append_binary_header(data);
  std::vector<RowOrigin>& rows = batch->rows;
  rows = r.take_rows();
  rows.reserve(open.row_count);
  // Where each row starts, and whether the keys are already in order.
  std::vector<RowAt>& at = r.at;
  at.clear();
  bool in_order = true;
  if (sort_) {
    uint64_t last = 0;
    for (size_t p = 0; p < open.pieces.size(); ++p) {
      const char* bytes = open.pieces[p].data();
      for (const RowOrigin& o : open.rows[p]) {
        at.push_back({bytes, &o});
        bytes += o.bytes;
        in_order = in_order && o.sort_key >= last;
        last = o.sort_key;
      }
    }
  }
  if (in_order) {
    for (const std::string& p : open.pieces) data.append(p);
    for (const std::vector<RowOrigin>& v : open.rows) rows.insert(rows.end(), v.begin(), v.end());
  } else {
    // Sorting 16-byte (key, position) pairs touches no row: much cheaper than an indirect stable sort.
    std::vector<KeyAt>& order = r.order;
    order.resize(at.size());
    for (size_t i = 0; i < at.size(); ++i) order[i] = {at[i].origin->sort_key, static_cast<uint32_t>(i)};
    radix_sort(order, r.sort_tmp);
    for (const KeyAt& k : order) {
      const RowAt& row = at[k.index];
      data.append(row.bytes, row.origin->bytes);
      rows.push_back(*row.origin);
    }
  }
  if (open.binary) append_binary_trailer(data);
  if (sort_ && exact_keys_) {
    const auto same = [](const RowOrigin& x, const RowOrigin& y) { return x.sort_key == y.sort_key; };
    batch->keys_distinct = std::adjacent_find(rows.begin(), rows.end(), same) == rows.end();
  }
  for (size_t p = 0; p < open.pieces.size(); ++p) give_back(std::move(open.pieces[p]), std::move(open.rows[p]));
  return batch;
}

}  // namespace pgload

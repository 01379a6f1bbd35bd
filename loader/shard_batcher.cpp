#include "loader/shard_batcher.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "loader/binary_row.h"

namespace pgload {
namespace {

constexpr size_t kMaxSpareBytes = size_t{16} << 20;  // what the pool may keep: beyond it, buffers are freed

struct KeyAt {
  uint64_t key;
  uint32_t index;  // the row's input position
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

ShardBatcher::ShardBatcher(size_t shards, size_t batch_bytes, bool sort, bool exact_keys)
    : batch_bytes_(batch_bytes), sort_(sort), exact_keys_(exact_keys), open_csv_(shards), open_bin_(shards) {
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

void ShardBatcher::give_back(std::string&& buffer) {
  buffer.clear();
  std::lock_guard lock(spare_mu_);
  if (spare_bytes_ + buffer.capacity() > kMaxSpareBytes) return;  // freed here
  spare_bytes_ += buffer.capacity();
  spare_.push_back(std::move(buffer));
}

void ShardBatcher::add(size_t shard, bool binary, ShardRows& out, std::vector<OpenBatch>& full) {
  OpenBatch& b = binary ? open_bin_[shard] : open_csv_[shard];
  b.bytes += out.data.size();
  b.pieces.push_back(std::exchange(out.data, spare_buffer()));
  b.rows.insert(b.rows.end(), out.rows.begin(), out.rows.end());
  out.rows.clear();
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
      if (!b.rows.empty()) left.push_back(std::move(b));
  return left;
}

std::shared_ptr<Batch> ShardBatcher::seal(OpenBatch&& open) {
  auto batch = std::make_shared<Batch>();
  batch->shard_index = open.shard_index;
  batch->binary = open.binary;
  std::string& data = batch->data;
  data.reserve(open.bytes + kBinaryHeaderBytes + 2);
  if (open.binary) append_binary_header(data);
  std::vector<RowOrigin>& rows = open.rows;
  const auto by_key = [](const RowOrigin& x, const RowOrigin& y) { return x.sort_key < y.sort_key; };
  if (!sort_ || std::is_sorted(rows.begin(), rows.end(), by_key)) {
    for (const std::string& p : open.pieces) data.append(p);
    batch->rows = std::move(rows);
  } else {
    // Where each row starts: rows lie in the pieces in order.
    std::vector<const char*> at(rows.size());
    size_t piece = 0, offset = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      while (offset == open.pieces[piece].size()) {
        ++piece;
        offset = 0;
      }
      at[i] = open.pieces[piece].data() + offset;
      offset += rows[i].bytes;
    }
    // Sorting 16-byte (key, position) pairs touches no row: much cheaper than an indirect stable sort.
    std::vector<KeyAt> order(rows.size()), scratch;
    for (size_t i = 0; i < rows.size(); ++i) order[i] = {rows[i].sort_key, static_cast<uint32_t>(i)};
    radix_sort(order, scratch);
    batch->rows.resize(rows.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const uint32_t from = order[i].index;
      data.append(at[from], rows[from].bytes);
      batch->rows[i] = rows[from];
    }
  }
  if (open.binary) append_binary_trailer(data);
  if (sort_ && exact_keys_) {
    const auto same = [](const RowOrigin& x, const RowOrigin& y) { return x.sort_key == y.sort_key; };
    batch->keys_distinct = std::adjacent_find(batch->rows.begin(), batch->rows.end(), same) == batch->rows.end();
  }
  for (std::string& p : open.pieces) give_back(std::move(p));
  return batch;
}

}  // namespace pgload

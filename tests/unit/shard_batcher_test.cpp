// ShardBatcher: pieces from several chunks become one COPY, sorted by key with ties in input order, and the row
// origins follow the rows; take_copy_bytes hands that COPY's bytes over in bounded parts.
#include "loader/shard_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "loader/binary_row.h"

namespace pgload {
namespace {

// A CSV "row" "k<key>-<line>\n" whose origin carries its key, and its line and byte (line * 10) after the piece's
// start.
void add_row(ShardRows& out, uint64_t key, uint32_t line) {
  std::string row = "k" + std::to_string(key) + "-" + std::to_string(line) + "\n";
  out.data += row;
  out.rows.push_back({key, static_cast<uint32_t>(row.size()), 0, line, line * 10});
}

// The input lines of a batch's rows, in COPY order.
std::vector<uint64_t> lines_of(const Batch& b) {
  std::vector<uint64_t> lines;
  for (size_t i = 0; i < b.rows.size(); ++i) lines.push_back(b.place(i).line);
  return lines;
}

// The whole COPY of a batch as take_copy_bytes hands it over, `max_bytes` at a time.
std::string copy_data(const Batch& b, size_t max_bytes = size_t{1} << 30) {
  std::string all, part;
  CopyCursor at{.end = b.rows.size()};
  while (!at.done) {
    const std::string_view next = take_copy_bytes(b, at, part, max_bytes);
    EXPECT_LE(next.size(), std::max(max_bytes, kBinaryHeaderBytes) + 2);  // header, trailer: whole
    all += next;
  }
  EXPECT_EQ(all.size(), b.copy_bytes);
  return all;
}

// Seals `batcher`'s one open batch and checks that its rows come out as a stable sort by key orders `expect` (key,
// line, in input order; sorted here); returns the batch.
auto seal_like_a_stable_sort(ShardBatcher& batcher, std::vector<std::pair<uint64_t, uint64_t>>& expect,
                             const std::string& what) {
  std::stable_sort(expect.begin(), expect.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<OpenBatch> left = batcher.drain();
  EXPECT_EQ(left.size(), 1u) << what;
  auto batch = batcher.seal(std::move(left.at(0)));
  std::vector<uint64_t> want_lines;
  for (const auto& [key, line] : expect) want_lines.push_back(line);
  EXPECT_EQ(lines_of(*batch), want_lines) << what;
  return batch;
}

TEST(ShardBatcherTest, SortsAcrossPiecesAndKeepsTiesInInputOrder) {
  ShardBatcher batcher(2, 1 << 20, true);
  std::vector<OpenBatch> full;
  ShardRows a, b;
  add_row(a, 5, 1);
  add_row(a, 2, 2);
  add_row(a, 5, 3);
  batcher.add(1, false, a, full);
  EXPECT_TRUE(a.data.empty());
  EXPECT_TRUE(a.rows.empty());
  add_row(b, 1, 4);
  add_row(b, 5, 5);
  batcher.add(1, false, b, full);
  EXPECT_TRUE(full.empty());  // far below batch_bytes
  std::vector<OpenBatch> left = batcher.drain();
  ASSERT_EQ(left.size(), 1u);
  auto batch = batcher.seal(std::move(left[0]));
  EXPECT_EQ(batch->shard_index, 1);
  EXPECT_FALSE(batch->binary);
  EXPECT_EQ(copy_data(*batch), "k1-4\nk2-2\nk5-1\nk5-3\nk5-5\n");
  EXPECT_EQ(lines_of(*batch), (std::vector<uint64_t>{4, 2, 1, 3, 5}));
}

// A row's origin counts from its piece's start: the rows of pieces from different chunks and files come out with
// their own file, line and byte however the sort mixes them.
TEST(ShardBatcherTest, EachRowIsPlacedFromItsPiecesStart) {
  ShardBatcher batcher(1, 1 << 20, true);
  std::vector<OpenBatch> full;
  ShardRows a, b;
  a.start = {1000, 50000, 0};
  add_row(a, 7, 3);
  b.start = {20, 900, 2};
  add_row(b, 4, 1);
  batcher.add(0, false, a, full);
  batcher.add(0, false, b, full);
  auto batch = batcher.seal(std::move(batcher.drain().at(0)));
  const RowPlace first = batch->place(0), second = batch->place(1);
  EXPECT_EQ(first.file, 2u);
  EXPECT_EQ(first.line, 21u);
  EXPECT_EQ(first.byte_offset, 910u);
  EXPECT_EQ(second.file, 0u);
  EXPECT_EQ(second.line, 1003u);
  EXPECT_EQ(second.byte_offset, 50030u);
}

// Keys that differ in any of their 8 bytes (the radix sort skips bytes all keys share), with repeats: the batch
// comes out as a stable sort by key would order it.
TEST(ShardBatcherTest, SortsKeysThatDifferInAnyByteLikeAStableSort) {
  ShardBatcher batcher(1, 1 << 30, true);
  std::vector<OpenBatch> full;
  std::vector<std::pair<uint64_t, uint64_t>> expect;  // (key, line)
  std::mt19937_64 rng(7);
  for (int piece = 0; piece < 4; ++piece) {
    ShardRows out;
    for (uint64_t i = 0; i < 2000; ++i) {
      const uint64_t shift = 8 * (rng() % 8);
      const uint64_t key = (rng() % 5) << shift | (rng() % 3);
      const uint64_t line = static_cast<uint64_t>(piece) * 2000 + i + 1;
      add_row(out, key, line);
      expect.emplace_back(key, line);
    }
    batcher.add(0, false, out, full);
  }
  auto batch = seal_like_a_stable_sort(batcher, expect, "keys differing in any byte");
  std::string data;
  for (const auto& [key, line] : expect) data += "k" + std::to_string(key) + "-" + std::to_string(line) + "\n";
  EXPECT_EQ(copy_data(*batch), data);
}

// Keys spread over every bit (64-bit digits of any width), big enough for the wide digits, and keys that differ in
// their lowest and highest bits only: as a stable sort orders them.
TEST(ShardBatcherTest, SortsWideAndSparseKeysLikeAStableSort) {
  for (int kind = 0; kind < 2; ++kind) {
    ShardBatcher batcher(1, 1 << 30, true);
    std::vector<OpenBatch> full;
    std::vector<std::pair<uint64_t, uint64_t>> expect;  // (key, line)
    std::mt19937_64 rng(11);
    ShardRows out;
    for (uint64_t line = 1; line <= 9000; ++line) {
      const uint64_t key = kind == 0 ? rng() >> (rng() % 64) : (rng() % 2) << 63 | (rng() % 4);
      add_row(out, key, line);
      expect.emplace_back(key, line);
    }
    batcher.add(0, false, out, full);
    (void)seal_like_a_stable_sort(batcher, expect, "kind " + std::to_string(kind));
  }
}

// An upsert skips its "last row wins" sort only for a batch that cannot repeat a distribution value: exact keys,
// sorted, and no two rows with one key.
TEST(ShardBatcherTest, TellsWhetherAKeyRepeatsOnlyWhenKeysAreExact) {
  auto seal_keys = [](bool sort, bool exact, const std::vector<uint64_t>& keys) {
    ShardBatcher batcher(1, 1 << 20, sort, exact);
    std::vector<OpenBatch> full;
    ShardRows rows;
    for (size_t i = 0; i < keys.size(); ++i) add_row(rows, keys[i], i + 1);
    batcher.add(0, false, rows, full);
    std::vector<OpenBatch> left = batcher.drain();
    return batcher.seal(std::move(left.at(0)))->keys_distinct;
  };
  EXPECT_TRUE(seal_keys(true, true, {7, 3, 9}));
  EXPECT_FALSE(seal_keys(true, true, {7, 3, 7}));  // 7 repeats, apart in the input
  EXPECT_TRUE(seal_keys(true, true, {3, 7, 9}));   // already in order: no sort, the same answers
  EXPECT_FALSE(seal_keys(true, true, {3, 7, 7}));
  EXPECT_FALSE(seal_keys(true, false, {7, 3, 9}));  // e.g. numeric: "1.0" and "1.00" differ as keys, not as values
  EXPECT_FALSE(seal_keys(false, true, {7, 3, 9}));  // unsorted: not checked
  EXPECT_TRUE(sort_key_is_exact(PgType::Int8));
  EXPECT_TRUE(sort_key_is_exact(PgType::Text));
  EXPECT_FALSE(sort_key_is_exact(PgType::Numeric));
  EXPECT_FALSE(sort_key_is_exact(PgType::Uuid));
  EXPECT_FALSE(sort_key_is_exact(PgType::Bpchar));
}

TEST(ShardBatcherTest, FullBatchesComeOutAndBinaryGetsHeaderAndTrailer) {
  ShardBatcher batcher(1, 16, false);
  std::vector<OpenBatch> full;
  ShardRows out;
  add_row(out, 9, 1);
  add_row(out, 3, 2);
  add_row(out, 7, 3);  // 15 bytes so far
  batcher.add(0, true, out, full);
  EXPECT_TRUE(full.empty());
  add_row(out, 1, 4);
  batcher.add(0, true, out, full);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_TRUE(batcher.drain().empty());
  auto batch = batcher.seal(std::move(full[0]));
  EXPECT_TRUE(batch->binary);
  std::string header, trailer;
  append_binary_header(header);
  append_binary_trailer(trailer);
  // Unsorted batcher: input order, framed by the binary header and trailer.
  EXPECT_EQ(copy_data(*batch), header + "k9-1\nk3-2\nk7-3\nk1-4\n" + trailer);
  EXPECT_EQ(batch->rows.size(), 4u);
  // In parts of any size (rows cut where a part ends), the same bytes.
  for (size_t max_bytes : {1, 3, 5, 19, 20, 21, 40})
    EXPECT_EQ(copy_data(*batch, max_bytes), header + "k9-1\nk3-2\nk7-3\nk1-4\n" + trailer) << max_bytes;
}

// Rows of a sorted batch gathered in small parts: each part holds whole rows while they fit, a longer row comes
// in parts, and a replay of rows [lo, hi) has just those rows.
TEST(ShardBatcherTest, CopyBytesComeInBoundedPartsForAnyRange) {
  ShardBatcher batcher(1, 1 << 20, true);
  std::vector<OpenBatch> full;
  ShardRows a, b;
  add_row(a, 3, 1);
  add_row(a, 1, 2);
  a.data += std::string(30, 'x') + "\n";  // a long row, key 2
  a.rows.push_back({2, 31, 0, 3, 30});
  add_row(b, 0, 4);
  batcher.add(0, false, a, full);
  batcher.add(0, false, b, full);
  std::vector<OpenBatch> left = batcher.drain();
  ASSERT_EQ(left.size(), 1u);
  auto batch = batcher.seal(std::move(left[0]));
  const std::string all = "k0-4\nk1-2\n" + std::string(30, 'x') + "\nk3-1\n";
  for (size_t max_bytes : {1, 4, 5, 9, 10, 11, 31, 64}) EXPECT_EQ(copy_data(*batch, max_bytes), all) << max_bytes;
  std::string part;
  CopyCursor at{.row = 1, .end = 3};
  EXPECT_EQ(take_copy_bytes(*batch, at, part, 12), "k1-2\n" + std::string(7, 'x'));
  EXPECT_FALSE(at.done);
  EXPECT_EQ(take_copy_bytes(*batch, at, part, 64), std::string(23, 'x') + "\n");
  EXPECT_TRUE(at.done);
}

// A batch in input order goes as views of its pieces, one per run of rows side by side (no copy), each at most
// max_bytes; the binary header and trailer, and runs shorter than kMinCopyViewBytes, are gathered.
TEST(ShardBatcherTest, RowsSideBySideGoAsViewsOfTheirPieces) {
  ShardBatcher batcher(1, size_t{1} << 30, false);
  std::vector<OpenBatch> full;
  std::string expect;
  ShardRows first;  // a short piece before long ones: gathered alone, so the next piece still goes as a view
  add_row(first, 0, 7);
  expect += first.data;
  batcher.add(0, true, first, full);
  for (uint32_t piece = 0; piece < 3; ++piece) {
    ShardRows out;
    for (uint32_t i = 0; i < 1000; ++i) add_row(out, 0, piece * 1000 + i + 1);  // 5-8 bytes each
    expect += out.data;
    batcher.add(0, true, out, full);
  }
  ShardRows tiny;  // a piece shorter than a view's minimum: gathered
  add_row(tiny, 0, 9);
  expect += tiny.data;
  batcher.add(0, true, tiny, full);
  std::vector<OpenBatch> left = batcher.drain();
  ASSERT_EQ(left.size(), 1u);
  auto batch = batcher.seal(std::move(left[0]));
  const auto in_a_piece = [&](std::string_view v) {
    return std::any_of(batch->pieces.begin(), batch->pieces.end(), [&](const std::string& p) {
      return v.data() >= p.data() && v.data() + v.size() <= p.data() + p.size();
    });
  };
  std::string header, trailer;
  append_binary_header(header);
  append_binary_trailer(trailer);
  for (size_t max_bytes : {size_t{5000}, size_t{1} << 20}) {
    std::string all, part;
    size_t views = 0;
    CopyCursor at{.end = batch->rows.size()};
    while (!at.done) {
      const std::string_view next = take_copy_bytes(*batch, at, part, max_bytes);
      ASSERT_FALSE(next.empty());
      ASSERT_LE(next.size(), max_bytes);
      if (in_a_piece(next)) {
        ++views;
        EXPECT_GE(next.size(), kMinCopyViewBytes);
      } else {
        EXPECT_EQ(next.data(), part.data());  // gathered
      }
      all += next;
    }
    EXPECT_EQ(all, header + expect + trailer) << max_bytes;
    // Pieces of 6,893 and 8,000 bytes: one view each when they fit, else at least one view each.
    if (max_bytes == 5000)
      EXPECT_GE(views, 3u);
    else
      EXPECT_EQ(views, 3u);
  }
}

TEST(ShardBatcherTest, FirstBatchesAreStaggeredByShardThenFull) {
  // 4 shards, 400-byte batches: shard s seals its first batch at 100 * (s + 1) bytes, every later one at 400.
  ShardBatcher batcher(4, 400, false);
  std::vector<size_t> sealed_at(4, 0);
  for (size_t s = 0; s < 4; ++s) {
    size_t bytes = 0;
    std::vector<OpenBatch> full;
    for (uint64_t line = 100; full.size() < 2; ++line) {
      ShardRows out;
      add_row(out, 1000, line);  // 10 bytes a row
      bytes += out.data.size();
      batcher.add(s, false, out, full);
      if (full.size() == 1 && sealed_at[s] == 0) sealed_at[s] = bytes;
    }
    EXPECT_EQ(full[0].bytes, 100 * (s + 1)) << "shard " << s;
    EXPECT_EQ(full[1].bytes, 400u) << "shard " << s;
  }
  EXPECT_EQ(sealed_at, (std::vector<size_t>{100, 200, 300, 400}));
}

// A drained batcher starts over: the next batch counts only its own rows and bytes, and seals whole.
TEST(ShardBatcherTest, DrainLeavesEmptyBatches) {
  ShardBatcher batcher(1, 1 << 20, true, true);
  for (uint64_t round = 0; round < 3; ++round) {
    ShardRows out;
    add_row(out, 20 - round, 2 * round + 1);
    add_row(out, 10 - round, 2 * round + 2);
    const size_t bytes = out.data.size();
    std::vector<OpenBatch> full;
    batcher.add(0, false, out, full);
    std::vector<OpenBatch> left = batcher.drain();
    ASSERT_EQ(left.size(), 1u) << round;
    EXPECT_EQ(left[0].row_count, 2u) << round;
    EXPECT_EQ(left[0].bytes, bytes) << round;
    auto batch = batcher.seal(std::move(left[0]));
    ASSERT_EQ(batch->rows.size(), 2u) << round;
    EXPECT_EQ(batch->place(0).line, 2 * round + 2) << round;  // key 10 - round first
    EXPECT_TRUE(batch->keys_distinct) << round;
    EXPECT_TRUE(batcher.drain().empty()) << round;
  }
}

}  // namespace
}  // namespace pgload

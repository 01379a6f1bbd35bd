// The read-ahead of a load's files, on real files (plain, gzip, zstd): each file's stream comes back whole and in
// list order whatever --parallel-files is, progress counts files and raw bytes, and a file that is not what its
// listing saw (replaced before it is opened) is a SourceError when it is opened, naming the file and the change.
#include "loader/input_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

std::string read_all(ByteSource& s) {
  std::string out;
  char buf[7000];  // not a divisor of the block size: reads straddle blocks
  for (size_t n; (n = s.read(buf, sizeof buf)) > 0;) out.append(buf, n);
  return out;
}

class InputReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("pgload-reader");
    for (int i = 0; i < 5; ++i) {
      std::string text;
      for (int r = 0; r < 20000 * (i + 1); ++r) text += std::to_string(i) + "," + std::to_string(r) + "\n";
      contents_.push_back(text);
      write_file(dir_ + "/f" + std::to_string(i) + ".csv", text);
    }
    auto z = run_command("gzip " + sh(dir_ + "/f1.csv") + " && zstd -q --rm " + sh(dir_ + "/f3.csv"));
    ASSERT_EQ(z.exit_code, 0) << z.output;
    list_ = expand_inputs({dir_}, SourceOptions{});
    ASSERT_EQ(list_.files.size(), 5u);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::vector<std::string> contents_;
  InputList list_;
};

TEST_F(InputReaderTest, EveryFileComesBackWholeAndInOrderAtAnyParallelism) {
  for (size_t parallel : {1u, 2u, 8u}) {
    InputReader reader(list_.files, SourceOptions{}, parallel);
    uint64_t raw = 0;
    for (size_t i = 0; i < reader.size(); ++i) {
      ByteSource& s = reader.open(i, 0);
      EXPECT_EQ(read_all(s), contents_[i]) << "file " << i << ", parallel " << parallel;
      EXPECT_FALSE(reader.identity(i).size.empty());
      raw += std::stoull(list_.files[i].listed.size);
      reader.finish(i);
      EXPECT_EQ(reader.files_done(), i + 1);
    }
    EXPECT_EQ(reader.bytes_in(), raw);
    EXPECT_EQ(reader.total_bytes(), raw);
  }
}

TEST_F(InputReaderTest, AResumedReaderStartsInItsFileAtItsOffset) {
  InputReader reader(list_.files, SourceOptions{}, 4);
  ByteSource& s = reader.open(2, 1000);
  EXPECT_EQ(read_all(s), contents_[2].substr(1000));
  EXPECT_EQ(reader.files_done(), 2u);  // the files before it count as done for the progress bar
}

// The pipeline takes whole blocks where it can (swap_block) and reads the rest (read, append_to): any mix gives the
// stream back whole, a whole block leaves kBlockHeadroom free bytes in front of its data, and a block partly read
// is not handed over.
TEST_F(InputReaderTest, WholeBlocksAndReadsMixedGiveTheStreamBackWhole) {
  std::string text;
  for (int r = 0; text.size() < 3 * InputReader::kBlockBytes + 12345; ++r) text += std::to_string(r) + ",x\n";
  write_file(dir_ + "/big.csv", text);
  const InputList list = expand_inputs({dir_ + "/big.csv"}, SourceOptions{});
  InputReader reader(list.files, SourceOptions{}, 1);
  ByteSource& s = reader.open(0, 0);
  std::string out, block;
  size_t swapped = 0;
  for (int turn = 0;; ++turn) {
    if (turn % 3 != 2) {
      size_t begin = 0;
      if (s.swap_block(block, begin)) {
        ASSERT_EQ(begin, InputReader::kBlockHeadroom);
        std::fill_n(block.data(), begin, '#');  // the headroom is the caller's
        out.append(block, begin, std::string::npos);
        ++swapped;
        continue;
      }
    }
    char buf[5000];
    const size_t n = s.read(buf, sizeof buf);
    if (n == 0) break;
    out.append(buf, n);
    size_t begin = 0;
    std::string other;
    EXPECT_FALSE(s.swap_block(other, begin)) << "a block was handed over after part of it was read";
    EXPECT_TRUE(other.empty());
    s.append_to(out, InputReader::kBlockBytes);  // the rest of the block, so the next turn starts a block
  }
  EXPECT_EQ(out, text);
  EXPECT_GE(swapped, 1u);
  size_t begin = 0;
  EXPECT_FALSE(s.swap_block(block, begin)) << "at the end of the stream";
}

TEST_F(InputReaderTest, AFileThatIsNotWhatItsListingSawIsASourceError) {
  std::vector<InputFile> files = list_.files;
  files[4].listed.size = "1";  // as if it had been replaced since the listing
  InputReader reader(files, SourceOptions{}, 2);
  try {
    reader.open(4, 0);
    ADD_FAILURE() << "a changed file was opened";
  } catch (const SourceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("f4.csv changed since it was listed (size was 1, now "));
  }
}

}  // namespace
}  // namespace pgload::test

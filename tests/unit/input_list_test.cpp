// The expansion of --url values into one ordered list of files, on real files in a temporary directory: globs and
// directories sorted by name, what is skipped said, the errors for a glob that cannot be listed (http), an empty
// match, stdin among others and a file named twice, and the run key of a list.
#include "loader/input_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/exit_code.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class InputListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("pgload-inputs");
    for (const char* name : {"part-10.csv", "part-02.csv.gz", "part-01.csv", "part-03.csv.zst", "notes.txt"})
      write_file(dir_ + "/" + name, std::string(name) + "\n");
    std::filesystem::create_directory(dir_ + "/part-99.csv");  // a directory a glob matches
    std::filesystem::create_directory(dir_ + "/sub");
    write_file(dir_ + "/sub/inner.csv", "x\n");
    write_file(dir_ + "/.hidden.csv", "x\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> urls(const InputList& l) const {
    std::vector<std::string> out;
    for (const InputFile& f : l.files) out.push_back(f.url.substr(dir_.size() + 1));
    return out;
  }

  std::string dir_;
  SourceOptions opts_;
};

TEST_F(InputListTest, OneFileIsAListOfOneWithWhatItsListingSaw) {
  InputList l = expand_inputs({dir_ + "/part-01.csv"}, opts_);
  ASSERT_EQ(l.files.size(), 1u);
  EXPECT_EQ(l.files[0].url, dir_ + "/part-01.csv");
  EXPECT_EQ(l.files[0].shown, dir_ + "/part-01.csv");
  EXPECT_EQ(l.files[0].listed.size, "12");
  EXPECT_FALSE(l.files[0].listed.mtime.empty());
  EXPECT_TRUE(l.skipped.empty());
}

TEST_F(InputListTest, GlobsAreSortedByNameAndSkipWhatIsNotAFile) {
  InputList l = expand_inputs({dir_ + "/part-*"}, opts_);
  EXPECT_THAT(urls(l), ElementsAre("part-01.csv", "part-02.csv.gz", "part-03.csv.zst", "part-10.csv"));
  ASSERT_EQ(l.skipped.size(), 1u);
  EXPECT_THAT(l.skipped[0], HasSubstr("part-99.csv (matches"));
  EXPECT_THAT(urls(expand_inputs({"file://" + dir_ + "/part-0?.csv*"}, opts_)),
              ElementsAre("part-01.csv", "part-02.csv.gz", "part-03.csv.zst"));
}

TEST_F(InputListTest, SeveralUrlsKeepTheirOrderEachExpandedInItsPlace) {
  InputList l = expand_inputs({dir_ + "/part-10.csv", dir_ + "/part-0[12]*", dir_ + "/notes.txt"}, opts_);
  EXPECT_THAT(urls(l), ElementsAre("part-10.csv", "part-01.csv", "part-02.csv.gz", "notes.txt"));
}

TEST_F(InputListTest, ADirectoryIsItsFilesByNameAndSaysWhatItSkips) {
  InputList l = expand_inputs({dir_}, opts_);
  EXPECT_THAT(urls(l), ElementsAre("notes.txt", "part-01.csv", "part-02.csv.gz", "part-03.csv.zst", "part-10.csv"));
  ASSERT_EQ(l.skipped.size(), 3u);
  EXPECT_THAT(l.skipped[0], HasSubstr(".hidden.csv (a hidden file)"));
  EXPECT_THAT(l.skipped[1], HasSubstr("part-99.csv (a directory: not descended into)"));
  EXPECT_THAT(l.skipped[2], HasSubstr("sub (a directory: not descended into)"));
  EXPECT_EQ(expand_inputs({dir_ + "/"}, opts_).files.size(), 5u);
}

TEST_F(InputListTest, NothingToLoadIsASourceError) {
  try {
    expand_inputs({dir_ + "/nothing-*.csv"}, opts_);
    ADD_FAILURE() << "a glob without a match was accepted";
  } catch (const SourceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no file matches " + dir_ + "/nothing-*.csv"));
  }
  try {
    expand_inputs({dir_ + "/part-99.csv"}, opts_);
    ADD_FAILURE() << "an empty directory was accepted";
  } catch (const SourceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("holds no file to load"));
  }
  EXPECT_THROW(expand_inputs({dir_ + "/missing.csv"}, opts_), SourceError);
}

TEST_F(InputListTest, HttpGlobsStdinAmongOthersAndRepeatsAreUsageErrors) {
  try {
    expand_inputs({"https://user:pw@example.com/data/part-*.csv?sig=SECRET"}, opts_);
    ADD_FAILURE() << "an http glob was accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot be listed"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("SECRET")));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("pw@")));
  }
  // A query string may hold '?' and '*' (a signature): only the path counts.
  EXPECT_EQ(expand_inputs({"https://example.com/data/part-1.csv?sig=a*b"}, opts_).files.size(), 1u);
  EXPECT_THROW(expand_inputs({"-", dir_ + "/part-01.csv"}, opts_), UsageError);
  EXPECT_EQ(expand_inputs({"-"}, opts_).files.size(), 1u);
  try {
    expand_inputs({dir_ + "/part-*.csv", dir_ + "/part-01.csv"}, opts_);
    ADD_FAILURE() << "a file named twice was accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("part-01.csv is named twice"));
  }
  EXPECT_THROW(expand_inputs({"ftp://example.com/x.csv"}, opts_), UsageError);
}

TEST_F(InputListTest, TheRunKeyIsTheUrlsAsGivenWithoutSecrets) {
  EXPECT_EQ(inputs_key({"https://u:p@h/x.csv?sig=1"}), "https://***@h/x.csv?***");
  EXPECT_EQ(inputs_key({"/data/part-*.csv", "s3://b/p/*.csv.gz"}), "/data/part-*.csv s3://b/p/*.csv.gz");
  EXPECT_TRUE(is_glob("a/*.csv"));
  EXPECT_TRUE(is_glob("a/[ab].csv"));
  EXPECT_FALSE(is_glob("a/b.csv"));
}

}  // namespace
}  // namespace pgload::test

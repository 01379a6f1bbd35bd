// Many inputs as one load on a real local cluster: several --url files with a header each, a glob of 20 parts
// mixing .csv, .csv.gz and .csv.zst, a directory; a bad row in file 7 and a duplicate key across files are named by
// file and line with nothing loaded; a checkpointed load killed mid-way resumes at the right file and offset and
// loads every row exactly once; a part replaced or removed between the listing and its reading is exit 4 with
// nothing loaded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CommandResult pgload(const std::string& args, const std::string& env = "") {
  return run_pgload(TestCluster::shared().conninfo(), args, env);
}

void create_table(const std::string& name) {
  auto c = TestCluster::shared().connect();
  c.run("DROP TABLE IF EXISTS " + name);
  c.run("CREATE TABLE " + name + " (id bigint PRIMARY KEY, v text)");
  c.run("SELECT create_distributed_table('" + name + "', 'id', colocate_with => 'none', shard_count => 4)");
}

// count/sum(id)/count(distinct id) of a table: every row exactly once gives rows/sum/rows.
std::string tally(const std::string& table) {
  return *TestCluster::shared().connect().scalar(
      "SELECT count(*) || '/' || coalesce(sum(id), 0) || '/' || "
      "count(DISTINCT id) FROM " +
      table);
}

std::string expected_tally(long long rows) {
  return std::to_string(rows) + "/" + std::to_string(rows * (rows + 1) / 2) + "/" + std::to_string(rows);
}

// Writes rows first..last as "id,part N row id" (with a header line when asked); returns the path.
std::string write_part(const std::string& path, long long first, long long last, bool header, int part) {
  std::ofstream out(path);
  if (header) out << "id,v\n";
  for (long long id = first; id <= last; ++id) out << id << ",part " << part << " row " << id << "\n";
  return path;
}

std::string two_digits(int i) { return (i < 10 ? "0" : "") + std::to_string(i); }

TEST(ManyInputs, SeveralUrlsWithAHeaderEachAreOneLoadAndTheJsonCountsEachFile) {
  const std::string dir = temp_dir("pgload-many-urls");
  create_table("many_urls");
  const std::string a = write_part(dir + "/a.csv", 1, 1000, true, 1);
  const std::string b = write_part(dir + "/b.csv", 1001, 1500, true, 2);
  const std::string c = write_part(dir + "/c.csv", 1501, 3000, true, 3);
  auto r = pgload("--url " + sh(a) + " --url " + sh(b) + " --url file://" + c + " --table many_urls --header --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(tally("many_urls"), expected_tally(3000));
  EXPECT_THAT(r.output, HasSubstr("\"rows\":3000,"));
  EXPECT_THAT(r.output, HasSubstr("\"files\":[{\"url\":" + std::string("\"") + a + "\",\"rows\":1000,\"bytes\":"));
  EXPECT_THAT(r.output, HasSubstr("{\"url\":\"" + b + "\",\"rows\":500,\"bytes\":"));
  EXPECT_THAT(r.output, HasSubstr("{\"url\":\"file://" + c + "\",\"rows\":1500,\"bytes\":"));

  // A header that differs in a later file is named with that file.
  create_table("many_urls_bad_header");
  write_file(dir + "/d.csv", "id,w\n5000,x\n");
  auto bad = pgload("--url " + sh(a) + " --url " + sh(dir + "/d.csv") + " --table many_urls_bad_header --header");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output,
              HasSubstr(dir + "/d.csv: line 1: header (id,w) does not match the columns of the load (id,v)"));
  EXPECT_EQ(tally("many_urls_bad_header"), "0/0/0");
}

TEST(ManyInputs, AGlobOfTwentyPartsMixingCsvGzipAndZstdLoadsEveryRowOnce) {
  const std::string dir = temp_dir("pgload-many-glob");
  create_table("many_glob");
  std::string compress;
  for (int i = 1; i <= 20; ++i) {
    const std::string path =
        write_part(dir + "/part-" + two_digits(i) + ".csv", (i - 1) * 500LL + 1, i * 500LL, false, i);
    if (i % 3 == 1) compress += "gzip " + sh(path) + " && ";
    if (i % 3 == 2) compress += "zstd -q --rm " + sh(path) + " && ";
  }
  auto z = run_command(compress + "ls " + sh(dir) + " | wc -l");
  ASSERT_EQ(z.exit_code, 0) << z.output;
  auto r = pgload("--url " + sh(dir + "/part-*.csv*") + " --table many_glob --json --parallel-files 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(tally("many_glob"), expected_tally(10000));
  EXPECT_THAT(r.output, HasSubstr("{\"url\":\"" + dir + "/part-01.csv.gz\",\"rows\":500,"));
  EXPECT_THAT(r.output, HasSubstr("{\"url\":\"" + dir + "/part-02.csv.zst\",\"rows\":500,"));
  EXPECT_THAT(r.output, HasSubstr("{\"url\":\"" + dir + "/part-20.csv.zst\",\"rows\":500,"));
}

TEST(ManyInputs, ADirectoryLoadsItsFilesAndSaysWhatItSkips) {
  const std::string dir = temp_dir("pgload-many-dir");
  create_table("many_dir");
  for (int i = 1; i <= 3; ++i)
    write_part(dir + "/p" + std::to_string(i) + ".csv", (i - 1) * 100LL + 1, i * 100LL, false, i);
  write_file(dir + "/.in-progress.csv", "1,not loaded\n");
  auto m = run_command("mkdir " + sh(dir + "/old"));
  ASSERT_EQ(m.exit_code, 0) << m.output;
  auto r = pgload("--url " + sh(dir) + " --table many_dir");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(tally("many_dir"), expected_tally(300));
  EXPECT_THAT(r.output, HasSubstr("pgload: skipped " + dir + "/.in-progress.csv (a hidden file)"));
  EXPECT_THAT(r.output, HasSubstr("pgload: skipped " + dir + "/old (a directory: not descended into)"));
}

TEST(ManyInputs, ABadRowInFileSevenIsNamedByFileAndLineAndNothingIsLoaded) {
  const std::string dir = temp_dir("pgload-many-bad");
  create_table("many_bad");
  for (int i = 1; i <= 10; ++i)
    write_part(dir + "/part-" + two_digits(i) + ".csv", (i - 1) * 100LL + 1, i * 100LL, true, i);
  // Line 5 of part-07 (a header, then ids 601..): its id is not a number.
  auto e = run_command("sed -i '5s/^604,/60x4,/' " + sh(dir + "/part-07.csv"));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  auto r = pgload("--url " + sh(dir + "/part-*.csv") + " --table many_bad --header");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr(dir + "/part-07.csv: line 5, column id, byte "));
  EXPECT_THAT(r.output, HasSubstr("nothing was loaded"));
  EXPECT_EQ(tally("many_bad"), "0/0/0");

  // With --max-errors the reject file names the file and line too, and the rest loads.
  auto ok = pgload("--url " + sh(dir + "/part-*.csv") + " --table many_bad --header --max-errors 1 --reject-file " +
                   sh(dir + "/rejects.txt"));
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(read_file(dir + "/rejects.txt"), HasSubstr("# " + dir + "/part-07.csv: line 5, column id, byte "));
  EXPECT_EQ(*TestCluster::shared().connect().scalar("SELECT count(*) FROM many_bad"), "999");
}

TEST(ManyInputs, AKeyAWorkerRejectsIsNamedByItsFileAndLine) {
  const std::string dir = temp_dir("pgload-many-dup");
  create_table("many_dup");
  write_part(dir + "/a.csv", 1, 100, false, 1);
  write_part(dir + "/b.csv", 101, 200, false, 2);
  write_file(dir + "/c.csv", "201,x\n202,y\n50,again\n");  // id 50 is a.csv's
  auto r = pgload("--url " + sh(dir + "/a.csv") + " --url " + sh(dir + "/b.csv") + " --url " + sh(dir + "/c.csv") +
                  " --table many_dup");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("duplicate key"));
  EXPECT_THAT(r.output, HasSubstr("input " + dir + "/c.csv line 3 (byte 12)"));
  EXPECT_EQ(tally("many_dup"), "0/0/0");
}

TEST(ManyInputs, AFaultMidLoadThenResumeLoadsEveryRowExactlyOnce) {
  const std::string dir = temp_dir("pgload-many-resume");
  create_table("many_resume");
  // Four parts of ~1.7 MB: --checkpoint 500kB steps end inside the plain parts (1 MiB chunks); the gzip part is
  // never left in its middle.
  constexpr long long kPerPart = 60000;
  for (int i = 1; i <= 4; ++i)
    write_part(dir + "/part-" + std::to_string(i) + ".csv", (i - 1) * kPerPart + 1, i * kPerPart, true, i);
  auto z = run_command("gzip " + sh(dir + "/part-3.csv"));
  ASSERT_EQ(z.exit_code, 0) << z.output;
  const std::string args = "--url " + sh(dir + "/part-*") + " --table many_resume --header --checkpoint 500kB";
  auto killed = pgload(args + " --quiet", "PGLOAD_FAULT=after_step:2");
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  EXPECT_THAT(killed.output, HasSubstr("fault injected at after_step:2"));
  auto status = pgload("status");
  EXPECT_THAT(status.output, HasSubstr(dir + "/part-* -> public.many_resume: file 2/4, ")) << status.output;
  const std::string mid = tally("many_resume");
  EXPECT_NE(mid, "0/0/0");
  EXPECT_NE(mid, expected_tally(4 * kPerPart));

  auto again = pgload(args + " --quiet");  // without --resume: refused, naming where it stopped
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_THAT(again.output, HasSubstr("stopped at " + dir + "/part-2.csv (file 2 of 4) at byte "));

  auto resumed = pgload(args + " --resume --json");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("pgload: resuming at " + dir + "/part-2.csv (file 2 of 4) at byte "));
  EXPECT_THAT(resumed.output, HasSubstr("{\"url\":\"" + dir + "/part-1.csv\",\"rows\":0,\"bytes\":0}"));
  EXPECT_THAT(resumed.output, HasSubstr("{\"url\":\"" + dir + "/part-4.csv\",\"rows\":60000,"));
  EXPECT_EQ(tally("many_resume"), expected_tally(4 * kPerPart));

  // A list that changed is not resumed at a file index that would mean another file.
  create_table("many_resume_changed");
  auto killed2 =
      pgload("--url " + sh(dir + "/part-*") + " --table many_resume_changed --header --checkpoint 500kB --quiet",
             "PGLOAD_FAULT=after_step:1");
  EXPECT_NE(killed2.exit_code, 0) << killed2.output;
  write_part(dir + "/part-0.csv", 1000001, 1000002, true, 0);
  auto changed =
      pgload("--url " + sh(dir + "/part-*") + " --table many_resume_changed --header --checkpoint 500kB --resume");
  EXPECT_EQ(changed.exit_code, 4) << changed.output;
  EXPECT_THAT(changed.output, HasSubstr("the input files changed since the checkpointed run: it read 4 file(s), now "
                                        "there are 5; file 1 was " +
                                        dir + "/part-1.csv, now " + dir + "/part-0.csv"));
}

// Loads parts 1-4 of `dir` into `table` while the files after the first wait (a test hook) until `change` (a shell
// command) has run after the listing; returns pgload's output and "exit=N".
std::string load_changed_after_listing(const std::string& dir, const std::string& table, const std::string& change) {
  const std::string go = dir + "/go";
  const std::string log = dir + "/pgload.log";
  run_command("(" +
              pgload_command(TestCluster::shared().conninfo(), "--url " + sh(dir + "/part-*.csv") + " --table " + table,
                             "PGLOAD_TEST_HOLD_FILES=" + sh(go)) +
              " > " + sh(log) + " 2>&1; echo exit=$? >> " + sh(log) + ") > /dev/null 2>&1 &");
  auto held = run_command("for i in $(seq 300); do grep -q 'test hold' " + sh(log) +
                          " 2>/dev/null && exit 0; sleep 0.1; done; exit 1");
  EXPECT_EQ(held.exit_code, 0) << read_file(log);
  auto changed = run_command(change + " && touch " + sh(go));
  EXPECT_EQ(changed.exit_code, 0) << changed.output;
  auto done =
      run_command("for i in $(seq 600); do grep -q '^exit=' " + sh(log) + " && exit 0; sleep 0.1; done; exit 1");
  EXPECT_EQ(done.exit_code, 0) << read_file(log);
  return read_file(log);
}

TEST(ManyInputs, APartReplacedBetweenListingAndReadingIsExit4AndNothingIsLoaded) {
  const std::string dir = temp_dir("pgload-many-replaced");
  create_table("many_replaced");
  for (int i = 1; i <= 4; ++i)
    write_part(dir + "/part-" + std::to_string(i) + ".csv", (i - 1) * 100LL + 1, i * 100LL, false, i);
  write_part(dir + "/part-3.tmp", 201, 300, false, 33);  // other text: another size
  const std::string out =
      load_changed_after_listing(dir, "many_replaced", "mv " + sh(dir + "/part-3.tmp") + " " + sh(dir + "/part-3.csv"));
  EXPECT_THAT(out, HasSubstr("exit=4"));
  EXPECT_THAT(out, HasSubstr(dir + "/part-3.csv changed since it was listed (size was 1900, now 2000"));
  EXPECT_THAT(out, HasSubstr("nothing was loaded"));
  EXPECT_EQ(tally("many_replaced"), "0/0/0");
}

TEST(ManyInputs, APartRemovedBetweenListingAndReadingIsExit4AndNothingIsLoaded) {
  const std::string dir = temp_dir("pgload-many-removed");
  create_table("many_removed");
  for (int i = 1; i <= 4; ++i)
    write_part(dir + "/part-" + std::to_string(i) + ".csv", (i - 1) * 100LL + 1, i * 100LL, false, i);
  const std::string out = load_changed_after_listing(dir, "many_removed", "rm " + sh(dir + "/part-2.csv"));
  EXPECT_THAT(out, HasSubstr("exit=4"));
  EXPECT_THAT(out, HasSubstr("cannot open " + dir + "/part-2.csv: No such file or directory; nothing was loaded"));
  EXPECT_EQ(tally("many_removed"), "0/0/0");
}

TEST(ManyInputs, AnHttpGlobCannotBeListed) {
  create_table("many_http");
  auto r = pgload("--url 'http://127.0.0.1:9/exports/part-*.csv?token=SECRET' --table many_http");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("http://127.0.0.1:9/exports/part-*.csv?***: an http(s) URL cannot be listed"));
  EXPECT_THAT(r.output, Not(HasSubstr("SECRET")));
}

}  // namespace
}  // namespace pgload::test

// pgload's command line without a cluster: values parse as before CLI11, every option is in --help, the new
// options (--lock-timeout, --verbose, --debug, --version) and the messages scripts match.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/conninfo.h"
#include "common/duration.h"
#include "loader/checkpoint.h"
#include "loader/options.h"
#include "loader/report.h"
#include "tests/support/cli_args.h"

namespace pgload {
namespace {

LoadOptions parse(std::vector<const char*> args) {
  return test::parse_argv(parse_load_options, "pgload", std::move(args));
}
std::string usage_error(std::vector<const char*> args) {
  return test::usage_error_of(parse_load_options, "pgload", std::move(args));
}

TEST(CliLoad, ValuesParseAsBefore) {
  auto o = parse({"--url",
                  "-",
                  "--table",
                  "s.t",
                  "--delimiter",
                  "tab",
                  "--quote",
                  "'",
                  "--null",
                  "NULL",
                  "--columns",
                  "a, b,c",
                  "--format",
                  "jsonl",
                  "--encoding",
                  "LATIN1",
                  "--threads",
                  "3",
                  "--max-errors=7",
                  "--connections-per-worker",
                  "2",
                  "--batch-bytes",
                  "4096",
                  "--header",
                  "--json",
                  "--dry-run",
                  "--quiet",
                  "--insecure",
                  "--backend",
                  "local",
                  "--node-conninfo",
                  "h:1=port=5",
                  "--node-conninfo",
                  "h:2=port=6"});
  EXPECT_EQ(o.command, "load");
  EXPECT_EQ(o.urls, (std::vector<std::string>{"-"}));
  EXPECT_EQ(o.table, "s.t");
  EXPECT_EQ(o.delimiter, '\t');
  EXPECT_EQ(o.quote, '\'');
  EXPECT_EQ(o.escape, '\'');  // defaults to the quote character
  EXPECT_EQ(o.null_string, "NULL");
  EXPECT_EQ(o.columns, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(o.format, InputFormat::Ndjson);
  EXPECT_EQ(o.encoding, "latin1");
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.max_errors, 7);
  EXPECT_EQ(o.connections_per_worker, 2);
  EXPECT_EQ(o.batch_bytes, 4096);
  EXPECT_TRUE(o.header && o.json && o.dry_run && o.quiet && o.insecure);
  EXPECT_EQ(o.backend, Backend::Local);
  EXPECT_EQ(o.node_conninfo, (std::vector<std::string>{"h:1=port=5", "h:2=port=6"}));
  EXPECT_FALSE(o.lock_timeout_ms);
  EXPECT_FALSE(o.verbose || o.debug);

  EXPECT_EQ(parse({"--url", "-", "--table", "t", "--batch-bytes", "256kB"}).batch_bytes, 256 * 1024);

  auto last = parse({"--url", "a", "--url", "b", "--table", "t", "--escape", "\\"});
  EXPECT_EQ(last.urls, (std::vector<std::string>{"a", "b"}));  // --url is repeatable: every input, in order
  EXPECT_EQ(last.escape, '\\');
  EXPECT_EQ(last.delimiter, ',');
  EXPECT_EQ(last.quote, '"');
}

TEST(CliLoad, RecoverBeforeOrAfterOptions) {
  EXPECT_EQ(parse({"recover"}).command, "recover");
  auto o = parse({"--coordinator", "host=x", "recover", "--json"});
  EXPECT_EQ(o.command, "recover");
  EXPECT_EQ(o.coordinator, "host=x");
  EXPECT_TRUE(o.json);
  EXPECT_EQ(usage_error({"recover", "recover"}), "unknown option 'recover' (see pgload --help)");
}

TEST(CliLoad, HelpAndVersionAreCommandsNotOutput) {
  EXPECT_EQ(parse({"--help"}).command, "help");
  EXPECT_EQ(parse({"-h"}).command, "help");
  EXPECT_EQ(parse({"--version"}).command, "version");
  const std::string help = load_usage();
  for (const char* s : {"--url URL",
                        "--table TABLE",
                        "--coordinator CONNINFO",
                        "--backend",
                        "--node-conninfo",
                        "--format",
                        "--header",
                        "--delimiter C",
                        "--quote C",
                        "--escape C",
                        "--null STR",
                        "--columns a,b,c",
                        "--encoding",
                        "--threads N",
                        "--max-errors N",
                        "--reject-file PATH",
                        "--connections-per-worker N",
                        "--batch-bytes N",
                        "--lock-timeout DURATION",
                        "--json",
                        "--dry-run",
                        "--quiet",
                        "--insecure",
                        "--verbose",
                        "--debug",
                        "--version",
                        "-h, --help",
                        "pgload recover [--coordinator CONNINFO] [--json]",
                        "exit codes:",
                        "5  in doubt"})
    EXPECT_NE(help.find(s), std::string::npos) << s << "\n" << help;
  for (size_t start = 0, end; start < help.size(); start = end + 1) {
    end = help.find('\n', start);
    if (end == std::string::npos) end = help.size();
    EXPECT_LE(end - start, 118u) << help.substr(start, end - start);
  }
}

TEST(CliLoad, MessagesNameTheOption) {
  EXPECT_EQ(usage_error({"--bogus"}), "unknown option '--bogus' (see pgload --help)");
  EXPECT_EQ(usage_error({"--bogus=1", "--url", "x", "--table", "t"}), "unknown option '--bogus' (see pgload --help)");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "stray"}), "unknown option 'stray' (see pgload --help)");
  EXPECT_EQ(usage_error({"--table", "t"}), "--url is required (see pgload --help)");
  EXPECT_EQ(usage_error({"--url", "x"}), "--table is required (see pgload --help)");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--delimiter", "ab"}),
            "--delimiter takes one character, got 'ab'");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--delimiter", "\""}), "--delimiter and --quote must differ");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--format", "xml"}),
            "--format takes csv, ndjson, text or parquet, got 'xml'");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--max-errors", "-1"}),
            "--max-errors takes a whole number >= 0, got '-1'");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--threads", "0"}),
            "--threads takes a whole number >= 1, got '0'");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--columns", "a,,b"}),
            "--columns has an empty column name in 'a,,b'");
  EXPECT_NE(usage_error({"--url"}).find("--url"), std::string::npos);
}

TEST(CliLoad, ParquetByNameOrFormatAndItRefusesTheCsvOptions) {
  EXPECT_EQ(parse({"--url", "data/x.parquet", "--table", "t"}).format, InputFormat::Parquet);
  EXPECT_EQ(parse({"--url", "https://h/x.parquet?sig=1", "--table", "t"}).format, InputFormat::Parquet);
  EXPECT_EQ(parse({"--url", "x.parquet", "--table", "t", "--format", "csv"}).format, InputFormat::Csv);
  EXPECT_EQ(parse({"--url", "x", "--table", "t", "--format", "parquet"}).format, InputFormat::Parquet);
  EXPECT_EQ(parse({"--url", "x.parquet.csv", "--table", "t"}).format, InputFormat::Csv);
  EXPECT_EQ(usage_error({"--url", "x.parquet", "--table", "t", "--header"}),
            "--header does not apply to --format parquet");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--format", "parquet", "--delimiter", "|"}),
            "--delimiter does not apply to --format parquet");
}

TEST(CliLoad, TextFormatDefaultsAndChecks) {
  const LoadOptions text = parse({"--url", "x", "--table", "t", "--format", "text"});
  EXPECT_EQ(text.format, InputFormat::Text);
  EXPECT_EQ(text.delimiter, '\t');  // COPY text's defaults
  EXPECT_EQ(text.null_string, "\\N");
  const LoadOptions piped = parse({"--url", "x", "--table", "t", "--format", "text", "--delimiter", "|", "--null", ""});
  EXPECT_EQ(piped.delimiter, '|');
  EXPECT_EQ(piped.null_string, "");
  EXPECT_EQ(parse({"--url", "x", "--table", "t", "--format", "text", "--delimiter", "\""}).delimiter, '"');
  const LoadOptions csv = parse({"--url", "x", "--table", "t"});
  EXPECT_EQ(csv.delimiter, ',');
  EXPECT_EQ(csv.null_string, "");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--format", "text", "--quote", "'"}),
            "--quote is for --format csv only");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--format", "text", "--escape", "\\"}),
            "--escape is for --format csv only");
  for (const char* bad : {"\\", "a", "7", "."})
    EXPECT_EQ(
        usage_error({"--url", "x", "--table", "t", "--format", "text", "--delimiter", bad}).rfind("--delimiter: ", 0),
        0u)
        << bad;
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--format", "text", "--null", "a\nb"}),
            "--null cannot contain a newline or carriage return");
}

TEST(CliLoad, LockTimeoutTakesPostgresDurations) {
  auto ms = [](const char* v) { return parse({"--url", "x", "--table", "t", "--lock-timeout", v}).lock_timeout_ms; };
  EXPECT_EQ(ms("500ms"), 500);
  EXPECT_EQ(ms("30s"), 30000);
  EXPECT_EQ(ms("5min"), 300000);
  EXPECT_EQ(ms("2h"), 7200000);
  EXPECT_EQ(ms("1d"), 86400000);
  EXPECT_EQ(ms("250"), 250);  // a bare number is milliseconds, as PostgreSQL's lock_timeout
  EXPECT_EQ(ms("1.5s"), 1500);
  for (const char* bad : {"0", "-5s", "5parsecs", "s", "", "0x10", "30 days", "25d"})
    EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--lock-timeout", bad}),
              std::string("--lock-timeout takes a duration such as 500ms, 30s, 5min, 2h or 1d, got '") + bad + "'")
        << bad;
  EXPECT_EQ(parse_duration_ms("10 s"), 10000);  // PostgreSQL allows a space before the unit
}

TEST(CliLoad, VerboseAndDebug) {
  auto o = parse({"--url", "x", "--table", "t", "--verbose", "--debug"});
  EXPECT_TRUE(o.verbose);
  EXPECT_TRUE(o.debug);
}

TEST(CliLoad, ConninfoCheckedAsLibpqReadsIt) {
  EXPECT_FALSE(conninfo_error(""));
  EXPECT_FALSE(conninfo_error("mydb"));  // a bare word is a database name
  EXPECT_FALSE(conninfo_error("host=127.0.0.1 port=5432 password='a b'"));
  EXPECT_FALSE(conninfo_error("postgresql://u:pw@127.0.0.1:5432/db"));
  EXPECT_EQ(conninfo_error("garbage=1"), "invalid connection option \"garbage\"");
  auto uri = conninfo_error("postgresql://u:sekrit@[::1/db");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->find("sekrit"), std::string::npos) << *uri;
}

// report_text: numbers right-aligned in columns as wide as their widest cell; "1 row", not "1 rows".
TEST(CliLoad, DryRunReportIsAligned) {
  LoadReport r;
  r.outcome = "dry_run";
  r.table = "public.t";
  r.rows = 1;
  r.shard_rows = {{102008, 1}, {102009, 0}, {102010, 123456}};
  r.node_rows = {{"127.0.0.1:9701", 123457}, {"localhost:65000", 0}};
  const std::string text = report_text(r, true);
  EXPECT_EQ(text.substr(0, text.find('\n')).find("would load 1 row ("), 9u) << text;
  EXPECT_NE(text.find("\n   shard    rows\n"
                      "  102008       1\n"
                      "  102009       0\n"
                      "  102010  123456\n"
                      "  node               rows\n"
                      "  127.0.0.1:9701   123457\n"
                      "  localhost:65000       0\n"),
            std::string::npos)
      << text;
  r.outcome = "committed";
  r.rows = 2;
  EXPECT_EQ(report_text(r, false).rfind("loaded 2 rows (", 0), 0u);
}

TEST(CliLoad, CheckpointTakesPostgresSizes) {
  auto bytes = [](const char* v) { return parse({"--url", "x", "--table", "t", "--checkpoint", v}).checkpoint_bytes; };
  EXPECT_EQ(parse({"--url", "x", "--table", "t"}).checkpoint_bytes, 0);  // all or nothing, as before
  EXPECT_EQ(bytes("16MB"), 16ll << 20);
  EXPECT_EQ(bytes("256MB"), 256ll << 20);
  EXPECT_EQ(bytes("1GB"), 1ll << 30);
  EXPECT_EQ(bytes("64kB"), 64ll << 10);
  EXPECT_EQ(bytes("2TB"), 2ll << 40);
  EXPECT_EQ(bytes("1048576"), 1048576);
  EXPECT_EQ(bytes("100B"), 100);
  for (const char* bad : {"16mb", "16 XB", "0", "-1MB", "MB", "1.5GB", "9999999TB"})
    EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--checkpoint", bad}),
              std::string("--checkpoint takes a size such as 16MB, 256MB or 1GB (units B, kB, MB, GB, TB), got '") +
                  bad + "'");
}

TEST(CliLoad, ResumeNeedsACheckpointAndAResumableSource) {
  auto o = parse({"--url", "x", "--table", "t", "--checkpoint", "16MB", "--resume"});
  EXPECT_TRUE(o.resume);
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--resume"}),
            "--resume needs --checkpoint SIZE (the same command as the interrupted load, plus --resume)");
  EXPECT_EQ(usage_error({"--url", "-", "--table", "t", "--checkpoint", "16MB"}),
            "--checkpoint needs a file or http(s) URL: stdin cannot be resumed at an offset");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--checkpoint", "16MB", "--dry-run"}),
            "--checkpoint and --resume cannot be combined with --dry-run");
}

TEST(CliLoad, StatusIsAVerbLikeRecover) {
  EXPECT_EQ(parse({"status"}).command, "status");
  auto o = parse({"--coordinator", "host=x", "status", "--json"});
  EXPECT_EQ(o.command, "status");
  EXPECT_TRUE(o.json);
  EXPECT_EQ(usage_error({"status", "recover"}), "unknown option 'recover' (see pgload --help)");
  EXPECT_NE(load_usage().find("pgload status [--coordinator CONNINFO] [--json]"), std::string::npos);
}

ResumableRun sample_run() {
  ResumableRun r;
  r.url = "http://***@h/users.csv";
  r.table = "public.users";
  r.identity.size = "1000";
  r.progress.byte_offset = 400;
  r.progress.line = 41;
  r.progress.rows = 40;
  r.progress.rejected = 1;
  r.progress.step = 2;
  r.updated_at = "2026-12-01T23:00:00Z";
  return r;
}

TEST(CliLoad, StatusListsUnfinishedRuns) {
  EXPECT_EQ(status_text({}), "status: no unfinished checkpointed load\n");
  EXPECT_EQ(status_json({}), "{\"runs\":[]}");
  EXPECT_EQ(status_text({sample_run()}),
            "status: 1 unfinished checkpointed load (continue with the same command plus --resume)\n"
            "  http://***@h/users.csv -> public.users: 400 of 1000 bytes, 40 rows, 1 rejected, line 41, 2 step(s), "
            "last step 2026-12-01T23:00:00Z\n");
  EXPECT_EQ(status_json({sample_run()}),
            "{\"runs\":[{\"url\":\"http://***@h/users.csv\",\"table\":\"public.users\",\"bytes_done\":400,"
            "\"source_bytes\":1000,\"rows_done\":40,\"rejected\":1,\"line\":41,\"steps\":2,"
            "\"last_step_at\":\"2026-12-01T23:00:00Z\",\"files\":1,\"file_index\":0}]}");
}

TEST(CliLoad, IdentityChangeNamesWhatChanged) {
  SourceIdentity http{"\"v1\"", "Tue, 01 Dec 2026 10:00:00 GMT", "1000", ""};
  EXPECT_EQ(identity_change(http, http), "");
  SourceIdentity etag = http;
  etag.etag = "\"v2\"";
  EXPECT_EQ(identity_change(http, etag), "ETag was \"\"v1\"\", now \"\"v2\"\"");
  SourceIdentity longer = http;
  longer.size = "2000";
  EXPECT_EQ(identity_change(http, longer), "Content-Length was 1000, now 2000");
  SourceIdentity file{"", "", "10", "1.000000000"};
  SourceIdentity touched{"", "", "10", "2.000000000"};
  EXPECT_EQ(identity_change(file, touched), "mtime was 1.000000000, now 2.000000000");
  SourceIdentity appended{"", "", "11", "2.000000000"};
  EXPECT_EQ(identity_change(file, appended), "size was 10, now 11, mtime was 1.000000000, now 2.000000000");
  SourceIdentity none;  // a server that stopped sending an ETag
  EXPECT_EQ(identity_change(SourceIdentity{"\"v1\"", "", "", ""}, none), "ETag was \"\"v1\"\", now unknown");
}

}  // namespace
}  // namespace pgload

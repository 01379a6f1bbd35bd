// pgload's command line without a cluster: values parse as before CLI11, every option is in --help, the new
// options (--lock-timeout, --verbose, --debug, --version) and the messages scripts match.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/conninfo.h"
#include "common/duration.h"
#include "loader/options.h"
#include "loader/report.h"

namespace pgload {
namespace {

LoadOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "pgload");
  return parse_load_options(static_cast<int>(args.size()), args.data());
}

std::string usage_error(std::vector<const char*> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
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
  EXPECT_EQ(o.url, "-");
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
  EXPECT_EQ(o.backend, "local");
  EXPECT_EQ(o.node_conninfo, (std::vector<std::string>{"h:1=port=5", "h:2=port=6"}));
  EXPECT_FALSE(o.lock_timeout_ms);
  EXPECT_FALSE(o.verbose || o.debug);

  auto last = parse({"--url", "a", "--url", "b", "--table", "t", "--escape", "\\"});
  EXPECT_EQ(last.url, "b");  // a repeated option keeps its last value
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
            "--format takes csv, ndjson or text, got 'xml'");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--max-errors", "-1"}),
            "--max-errors takes a whole number >= 0, got '-1'");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--threads", "0"}),
            "--threads takes a whole number >= 1, got '0'");
  EXPECT_EQ(usage_error({"--url", "x", "--table", "t", "--columns", "a,,b"}),
            "--columns has an empty column name in 'a,,b'");
  EXPECT_NE(usage_error({"--url"}).find("--url"), std::string::npos);
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

}  // namespace
}  // namespace pgload

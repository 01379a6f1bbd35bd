// pgload's options, declared once on a CLI11 app: parsing and --help both come from declare(). Values are checked
// by the same rules (and with the same messages) as before CLI11, because scripts match those messages.
#include "loader/options.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "common/byte_size.h"
#include "common/cli_format.h"
#include "common/duration.h"
#include "common/integer.h"
#include "loader/text_tokenizer.h"

namespace pgload {
namespace {

constexpr const char* kSynopsis =
    "usage: pgload --url URL --table TABLE [options]\n"
    "       pgload recover [--coordinator CONNINFO] [--json]\n"
    "       pgload status [--coordinator CONNINFO] [--json]\n";

constexpr const char* kDescription =
    "Loads CSV, NDJSON, COPY text or Parquet straight into the shards of a Citus (or local pgcluster) table, all\n"
    "shards committed together (two-phase commit) or not at all. `pgload recover` finishes or rolls back what\n"
    "a crashed load left prepared (every load does this first by itself). With --checkpoint the input is\n"
    "committed in steps and an interrupted load continues with --resume; `pgload status` lists such loads.";

constexpr const char* kExitCodes =
    "exit codes:\n"
    "  0  loaded (or dry run finished)\n"
    "  1  input errors: bad rows beyond --max-errors or malformed input; nothing loaded\n"
    "  2  usage: bad options, unknown table or column, header mismatch\n"
    "  3  cluster: coordinator/worker unreachable or the server rejected a row; nothing loaded\n"
    "  4  source: the input could not be read (missing file, HTTP error, drop without Range, truncated gzip)\n"
    "  5  in doubt: the commit was decided but not finished everywhere; run `pgload recover`";

char single_char(std::string_view opt, std::string_view v) {
  if (v == "\\t" || v == "tab") return '\t';
  if (v.size() != 1) throw UsageError(std::string(opt) + " takes one character, got '" + std::string(v) + "'");
  return v[0];
}

// A whole number in [min_value, max_value]; the message names the lower bound, which is the one people miss.
int64_t whole_number(std::string_view opt, std::string_view v, int64_t min_value, int64_t max_value = INT64_MAX) {
  auto n = parse_int64(v);
  if (!n || *n < min_value)
    throw UsageError(std::string(opt) + " takes a whole number >= " + std::to_string(min_value) + ", got '" +
                     std::string(v) + "'");
  if (*n > max_value)
    throw UsageError(std::string(opt) + " takes a whole number <= " + std::to_string(max_value) + ", got '" +
                     std::string(v) + "'");
  return *n;
}

std::vector<std::string> split_columns(std::string_view v, std::string_view opt = "--columns") {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    if (comma == std::string_view::npos) comma = v.size();
    auto name = v.substr(pos, comma - pos);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty()) throw UsageError(std::string(opt) + " has an empty column name in '" + std::string(v) + "'");
    out.emplace_back(name);
    pos = comma + 1;
  }
  return out;
}

// A size as PostgreSQL writes one (common/byte_size.h), at least one byte.
int64_t size_bytes(std::string_view opt, std::string_view v) {
  auto n = parse_size_bytes(v);
  if (!n || *n < 1)
    throw UsageError(std::string(opt) + " takes a size such as 16MB, 256MB or 1GB (units B, kB, MB, GB, TB), got '" +
                     std::string(v) + "'");
  return *n;
}

using Apply = std::function<void(const std::string&)>;

// An option taking one value; `apply` checks and stores it (and throws UsageError naming the option).
void value(CLI::App& app, const char* name, const char* arg, const char* help, Apply apply) {
  app.add_option_function<std::string>(name, std::move(apply), help)->type_name(arg)->group("options");
}

void flag(CLI::App& app, const char* name, bool& target, const char* help) {
  app.add_flag(name, target, help)->group("options");
}

// Every option of pgload, in --help order. `words` receives the positional words (the verb "recover").
void declare(CLI::App& app, LoadOptions& o, std::vector<std::string>& words, bool& version) {
  configure_cli(app, kSynopsis);
  app.description(kDescription);
  app.footer(kExitCodes);
  app.set_help_flag("-h,--help", "print this help and exit")->group("options");
  app.add_option("command", words)->group("");  // hidden: the synopsis shows the verb
  app.add_option_function<std::string>(
         "--url", [&o](const std::string& v) { o.urls.push_back(v); },
         "input: http://, https://, s3://, file://, a path, or - for stdin (.gz/.zst decompressed); repeatable, and a "
         "local or s3:// glob (part-*.csv) or a directory (its files, by name) loads many files as one load")
      ->type_name("URL")
      ->group("options")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->trigger_on_parse();  // once per occurrence, in command-line order
  value(app, "--table", "TABLE", "distributed or reference table to load (optionally schema-qualified)",
        [&o](const std::string& v) { o.table = v; });
  declare_connection_options(app, o, "options");
  value(app, "--format", "csv|ndjson|text|parquet",
        "input format (default csv, or parquet for a name ending in .parquet; text = PostgreSQL's COPY text format)",
        [&o](const std::string& v) {
          if (v == "csv")
            o.format = InputFormat::Csv;
          else if (v == "ndjson" || v == "jsonl")
            o.format = InputFormat::Ndjson;
          else if (v == "text")
            o.format = InputFormat::Text;
          else if (v == "parquet")
            o.format = InputFormat::Parquet;
          else
            throw UsageError("--format takes csv, ndjson, text or parquet, got '" + v + "'");
        });
  flag(app, "--header", o.header,
       "first line is a header: csv: it must match the columns; text: skipped, as COPY does");
  value(app, "--delimiter", "C", "field delimiter (default , for csv, tab for text; \\t or tab for a tab)",
        [&o](const std::string& v) { o.delimiter = single_char("--delimiter", v); });
  value(app, "--quote", "C", "quote character (csv only; default \")",
        [&o](const std::string& v) { o.quote = single_char("--quote", v); });
  value(app, "--escape", "C", "escape character inside quotes (csv only; default: the quote character)",
        [&o](const std::string& v) { o.escape = single_char("--escape", v); });
  value(app, "--null", "STR",
        "string that means NULL, unquoted in csv, before de-escaping in text (default: empty for csv, \\N for text)",
        [&o](const std::string& v) { o.null_string = v; });
  value(app, "--columns", "a,b,c", "the file's columns, in file order (default: all table columns)",
        [&o](const std::string& v) { o.columns = split_columns(v); });
  value(app, "--encoding", "utf8|latin1", "input encoding (default utf8, validated)", [&o](const std::string& v) {
    if (v == "utf8" || v == "UTF8" || v == "utf-8")
      o.encoding = "utf8";
    else if (v == "latin1" || v == "LATIN1")
      o.encoding = "latin1";
    else
      throw UsageError("--encoding takes utf8 or latin1, got '" + v + "'");
  });
  value(app, "--threads", "N", "parser threads (default: all cores)",
        [&o](const std::string& v) { o.threads = static_cast<int>(whole_number("--threads", v, 1, INT_MAX)); });
  value(app, "--parallel-files", "N",
        "input files opened, decompressed and read ahead at a time, each up to 8 MiB ahead (default 4)",
        [&o](const std::string& v) {
          o.parallel_files = static_cast<int>(whole_number("--parallel-files", v, 1, 1024));
        });
  value(
      app, "--max-errors", "N",
      "reject up to N bad rows, the client's and the workers' (constraints), and load the rest (default 0: any bad row "
      "aborts)",
      [&o](const std::string& v) { o.max_errors = whole_number("--max-errors", v, 0); });
  value(app, "--reject-file", "PATH", "write rejected rows verbatim with line number and reason",
        [&o](const std::string& v) { o.reject_file = v; });
  value(app, "--on-conflict", "nothing|update",
        "rows whose key exists: nothing = skip them, update = overwrite them (the last of a repeated key wins); "
        "through a staging table per connection (default: a plain COPY, an existing key fails the load)",
        [&o](const std::string& v) {
          if (v == "nothing")
            o.on_conflict = OnConflict::Nothing;
          else if (v == "update")
            o.on_conflict = OnConflict::Update;
          else
            throw UsageError("--on-conflict takes nothing or update, got '" + v + "'");
        });
  value(app, "--conflict-key", "a,b", "--on-conflict: the columns of a unique index (default: the primary key)",
        [&o](const std::string& v) { o.conflict_key = split_columns(v, "--conflict-key"); });
  value(app, "--update-columns", "a,b",
        "--on-conflict update: the columns it sets (default: every input column outside the key)",
        [&o](const std::string& v) { o.update_columns = split_columns(v, "--update-columns"); });
  value(app, "--connections-per-worker", "N", "COPY connections per worker (default 4)", [&o](const std::string& v) {
    o.connections_per_worker = static_cast<int>(whole_number("--connections-per-worker", v, 1, INT_MAX));
  });
  value(app, "--batch-bytes", "N",
        "bytes per shard batch sent as one COPY, a number or a size such as 1MB (default 4MB)",
        [&o](const std::string& v) { o.batch_bytes = size_bytes("--batch-bytes", v); });
  value(app, "--memory", "SIZE",
        "memory for the load (default 512MB): batches get smaller than --batch-bytes where the table's shards "
        "would not fit otherwise",
        [&o](const std::string& v) { o.memory_bytes = size_bytes("--memory", v); });
  value(app, "--lock-timeout", "DURATION",
        "give up when a shard lock is not granted within DURATION: 500ms, 30s, 5min, 2h, 1d, a bare number is ms "
        "(default: wait forever)",
        [&o](const std::string& v) {
          auto ms = parse_duration_ms(v);
          if (!ms || *ms < 1)
            throw UsageError("--lock-timeout takes a duration such as 500ms, 30s, 5min, 2h or 1d, got '" + v + "'");
          o.lock_timeout_ms = *ms;
        });
  value(app, "--checkpoint", "SIZE",
        "commit the input in steps of at least SIZE (16MB, 256MB, 1GB), each at a record boundary, so that "
        "--resume can continue an interrupted load (default: all or nothing)",
        [&o](const std::string& v) { o.checkpoint_bytes = size_bytes("--checkpoint", v); });
  flag(app, "--resume", o.resume,
       "continue the interrupted --checkpoint load of the same --url list and table (from the start if there is none)");
  flag(app, "--json", o.json, "print one JSON object with the results on stdout (also for recover and status)");
  flag(app, "--dry-run", o.dry_run, "parse, validate and route only; print rows per shard and node; load nothing");
  flag(app, "--quiet", o.quiet, "no progress bar and no summary");
  flag(app, "--insecure", o.insecure, "do not verify HTTPS certificates (explicit opt-out)");
  value(app, "--s3-endpoint", "URL",
        "s3://: an S3-compatible service (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's "
        "endpoint_url, else AWS)",
        [&o](const std::string& v) { o.s3_endpoint = v; });
  value(app, "--s3-region", "REGION",
        "s3://: the region requests are signed for (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, "
        "else us-east-1)",
        [&o](const std::string& v) { o.s3_region = v; });
  value(app, "--s3-addressing", "path|virtual",
        "s3://: path-style or virtual-hosted-style requests (default: path with a custom endpoint, virtual on AWS)",
        [&o](const std::string& v) {
          if (v != "path" && v != "virtual") throw UsageError("--s3-addressing takes path or virtual, got '" + v + "'");
          o.s3_addressing = v;
        });
  flag(app, "--verbose", o.verbose, "log each step on stderr (catalog, connections, batches)");
  flag(app, "--debug", o.debug, "like --verbose, plus the SQL, endpoint and SQLSTATE of a failing statement");
  flag(app, "--version", version, "print the version and exit");
}

}  // namespace

std::string load_usage() {
  CLI::App app("", "pgload");
  LoadOptions o;
  std::vector<std::string> words;
  bool version = false;
  declare(app, o, words, version);
  return app.help();
}

LoadOptions parse_load_options(int argc, const char* const* argv) {
  LoadOptions o;
  CLI::App app("", "pgload");
  std::vector<std::string> words;
  bool version = false;
  declare(app, o, words, version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    o.command = "help";
    return o;
  } catch (const CLI::Error& e) {
    throw UsageError(cli_error_message(e) + " (see pgload --help)");
  }
  if (std::string unknown = first_unknown_word(app); !unknown.empty())
    throw UsageError("unknown option '" + unknown + "' (see pgload --help)");
  for (const std::string& w : words) {
    if ((w != "recover" && w != "status") || o.command != "load")
      throw UsageError("unknown option '" + w + "' (see pgload --help)");
    o.command = w;  // the verb may come before or after the connection options
  }
  if (o.escape == '\0') o.escape = o.quote;
  if (app.count("--format") == 0) {
    const std::string url = o.urls.empty() ? std::string() : o.urls.front();
    const std::string path = url.substr(0, url.find_first_of("?#"));
    if (path.size() > 8 && path.compare(path.size() - 8, 8, ".parquet") == 0) o.format = InputFormat::Parquet;
  }
  if (o.format == InputFormat::Parquet)
    for (const char* csv_only : {"--header", "--delimiter", "--quote", "--escape", "--null", "--encoding"})
      if (app.count(csv_only) > 0) throw UsageError(std::string(csv_only) + " does not apply to --format parquet");
  const bool delimiter_given = app.count("--delimiter") > 0;
  if (o.format == InputFormat::Text) {
    for (const char* csv_only : {"--quote", "--escape"})
      if (app.count(csv_only) > 0) throw UsageError(std::string(csv_only) + " is for --format csv only");
    if (!delimiter_given) o.delimiter = '\t';
    if (app.count("--null") == 0) o.null_string = "\\N";
  }
  if (version) {
    o.command = "version";
    return o;
  }
  if (o.command == "load") {
    if (o.urls.empty()) throw UsageError("--url is required (see pgload --help)");
    if (o.table.empty()) throw UsageError("--table is required (see pgload --help)");
  }
  if (o.on_conflict == OnConflict::None && app.count("--conflict-key") > 0)
    throw UsageError("--conflict-key needs --on-conflict nothing|update");
  if (o.on_conflict != OnConflict::Update && app.count("--update-columns") > 0)
    throw UsageError("--update-columns needs --on-conflict update");
  if (o.command == "load" && o.resume && o.checkpoint_bytes == 0)
    throw UsageError("--resume needs --checkpoint SIZE (the same command as the interrupted load, plus --resume)");
  if (o.command == "load" && o.checkpoint_bytes > 0) {
    if (o.dry_run) throw UsageError("--checkpoint and --resume cannot be combined with --dry-run");
    if (std::find(o.urls.begin(), o.urls.end(), "-") != o.urls.end())
      throw UsageError("--checkpoint needs a file or http(s) URL: stdin cannot be resumed at an offset");
  }
  if (o.format == InputFormat::Text) {
    // The server's own checks for COPY text (rows the client cannot encode in binary go to it as text).
    if (const char* why = text_delimiter_error(o.delimiter)) throw UsageError(std::string("--delimiter: ") + why);
    if (o.null_string.find_first_of("\r\n") != std::string::npos)
      throw UsageError("--null cannot contain a newline or carriage return");
    return o;
  }
  if (o.delimiter == o.quote) throw UsageError("--delimiter and --quote must differ");
  if (o.delimiter == '\n' || o.delimiter == '\r' || o.quote == '\n' || o.quote == '\r')
    throw UsageError("--delimiter and --quote cannot be a newline");
  return o;
}

}  // namespace pgload

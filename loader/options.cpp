// The option table below is the single source of truth for parsing and for --help.
#include "loader/options.h"

#include <charconv>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string_view>

namespace pgload {
namespace {

struct OptionSpec {
  const char* name;
  const char* arg;  // nullptr for flags
  const char* help;
  std::function<void(LoadOptions&, std::string_view)> apply;
};

char single_char(std::string_view opt, std::string_view v) {
  if (v == "\\t" || v == "tab") return '\t';
  if (v.size() != 1) throw UsageError(std::string(opt) + " takes one character, got '" + std::string(v) + "'");
  return v[0];
}

int64_t positive_int(std::string_view opt, std::string_view v, int64_t min_value) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < min_value)
    throw UsageError(std::string(opt) + " takes a whole number >= " + std::to_string(min_value) + ", got '" +
                     std::string(v) + "'");
  return out;
}

std::vector<std::string> split_columns(std::string_view v) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    if (comma == std::string_view::npos) comma = v.size();
    auto name = v.substr(pos, comma - pos);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty()) throw UsageError("--columns has an empty column name in '" + std::string(v) + "'");
    out.emplace_back(name);
    pos = comma + 1;
  }
  return out;
}

const std::vector<OptionSpec>& specs() {
  static const std::vector<OptionSpec> table = {
      {"--url", "URL", "input: http://, https://, file://, a path, or - for stdin (.gz/.zst decompressed)",
       [](LoadOptions& o, std::string_view v) { o.url = v; }},
      {"--table", "TABLE", "distributed or reference table to load (optionally schema-qualified)",
       [](LoadOptions& o, std::string_view v) { o.table = v; }},
      {"--coordinator", "CONNINFO", "coordinator conninfo/URI (default: PG* environment, service file, .pgpass)",
       [](LoadOptions& o, std::string_view v) { o.coordinator = v; }},
      {"--backend", "citus|local", "force the catalog backend (default: detected)",
       [](LoadOptions& o, std::string_view v) {
         if (v != "citus" && v != "local") throw UsageError("--backend takes citus or local, got '" + std::string(v) + "'");
         o.backend = v;
       }},
      {"--node-conninfo", "host:port=CONNINFO", "connect to that worker with this conninfo (repeatable)",
       [](LoadOptions& o, std::string_view v) { o.node_conninfo.emplace_back(v); }},
      {"--format", "csv|ndjson", "input format (default csv)",
       [](LoadOptions& o, std::string_view v) {
         if (v == "csv") o.format = InputFormat::Csv;
         else if (v == "ndjson" || v == "jsonl") o.format = InputFormat::Ndjson;
         else throw UsageError("--format takes csv or ndjson, got '" + std::string(v) + "'");
       }},
      {"--header", nullptr, "first line is a header; it must match the columns",
       [](LoadOptions& o, std::string_view) { o.header = true; }},
      {"--delimiter", "C", "field delimiter (default ,)",
       [](LoadOptions& o, std::string_view v) { o.delimiter = single_char("--delimiter", v); }},
      {"--quote", "C", "quote character (default \")",
       [](LoadOptions& o, std::string_view v) { o.quote = single_char("--quote", v); }},
      {"--escape", "C", "escape character inside quotes (default: the quote character)",
       [](LoadOptions& o, std::string_view v) { o.escape = single_char("--escape", v); }},
      {"--null", "STR", "unquoted string that means NULL (default: empty)",
       [](LoadOptions& o, std::string_view v) { o.null_string = v; }},
      {"--columns", "a,b,c", "the file's columns, in file order (default: all table columns)",
       [](LoadOptions& o, std::string_view v) { o.columns = split_columns(v); }},
      {"--encoding", "utf8|latin1", "input encoding (default utf8, validated)",
       [](LoadOptions& o, std::string_view v) {
         if (v == "utf8" || v == "UTF8" || v == "utf-8") o.encoding = "utf8";
         else if (v == "latin1" || v == "LATIN1") o.encoding = "latin1";
         else throw UsageError("--encoding takes utf8 or latin1, got '" + std::string(v) + "'");
       }},
      {"--threads", "N", "parser threads (default: all cores)",
       [](LoadOptions& o, std::string_view v) { o.threads = static_cast<int>(positive_int("--threads", v, 1)); }},
      {"--max-errors", "N", "reject up to N bad rows and load the rest (default 0: any bad row aborts)",
       [](LoadOptions& o, std::string_view v) { o.max_errors = positive_int("--max-errors", v, 0); }},
      {"--reject-file", "PATH", "write rejected rows verbatim with line number and reason",
       [](LoadOptions& o, std::string_view v) { o.reject_file = v; }},
      {"--connections-per-worker", "N", "COPY connections per worker (default 4)",
       [](LoadOptions& o, std::string_view v) {
         o.connections_per_worker = static_cast<int>(positive_int("--connections-per-worker", v, 1));
       }},
      {"--batch-bytes", "N", "bytes per shard batch sent as one COPY (default 1048576)",
       [](LoadOptions& o, std::string_view v) { o.batch_bytes = positive_int("--batch-bytes", v, 1); }},
      {"--json", nullptr, "print one JSON object with the results on stdout",
       [](LoadOptions& o, std::string_view) { o.json = true; }},
      {"--dry-run", nullptr, "parse, validate and route only; print rows per shard and node; load nothing",
       [](LoadOptions& o, std::string_view) { o.dry_run = true; }},
      {"--quiet", nullptr, "no progress bar and no summary",
       [](LoadOptions& o, std::string_view) { o.quiet = true; }},
      {"--insecure", nullptr, "do not verify HTTPS certificates (explicit opt-out)",
       [](LoadOptions& o, std::string_view) { o.insecure = true; }},
  };
  return table;
}

}  // namespace

std::string load_usage() {
  std::string s =
      "usage: pgload --url URL --table TABLE [options]\n"
      "       pgload recover [--coordinator CONNINFO]\n\n"
      "Loads CSV or NDJSON straight into the shards of a Citus (or local pgcluster) table, all shards\n"
      "committed together (two-phase commit) or not at all.\n\noptions:\n";
  for (const auto& o : specs()) {
    std::string left = std::string("  ") + o.name + (o.arg ? std::string(" ") + o.arg : "");
    if (left.size() < 30) left.resize(30, ' ');
    else left += " ";
    s += left + o.help + "\n";
  }
  s +=
      "\nexit codes:\n"
      "  0  loaded (or dry run finished)\n"
      "  1  input errors: bad rows beyond --max-errors or malformed input; nothing loaded\n"
      "  2  usage: bad options, unknown table or column, header mismatch\n"
      "  3  cluster: coordinator/worker unreachable or the server rejected a row; nothing loaded\n"
      "  4  source: the URL could not be read (HTTP error, drop without Range support, truncated gzip)\n"
      "  5  in doubt: the commit was decided but not finished everywhere; run `pgload recover`\n";
  return s;
}

std::optional<LoadOptions> parse_load_options(int argc, char** argv) {
  LoadOptions o;
  int i = 1;
  if (i < argc && std::string_view(argv[i]) == "recover") {
    o.command = "recover";
    ++i;
  }
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(load_usage().c_str(), stdout);
      return std::nullopt;
    }
    if (a == "recover" && o.command == "load") {  // the verb may follow the connection options
      o.command = "recover";
      continue;
    }
    if (a == "--version") {
      std::puts("pgload 0.1.0");
      return std::nullopt;
    }
    std::string_view value;
    bool has_inline = false;
    if (auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs())
      if (a == s.name) spec = &s;
    if (!spec) throw UsageError("unknown option '" + std::string(a) + "' (see pgload --help)");
    if (spec->arg && !has_inline) {
      if (i + 1 >= argc) throw UsageError(std::string(spec->name) + " needs a value: " + spec->arg);
      value = argv[++i];
    }
    spec->apply(o, value);
  }
  if (o.command == "load") {
    if (o.url.empty()) throw UsageError("--url is required (see pgload --help)");
    if (o.table.empty()) throw UsageError("--table is required (see pgload --help)");
  }
  if (o.escape == '\0') o.escape = o.quote;
  if (o.delimiter == o.quote) throw UsageError("--delimiter and --quote must differ");
  if (o.delimiter == '\n' || o.delimiter == '\r' || o.quote == '\n' || o.quote == '\r')
    throw UsageError("--delimiter and --quote cannot be a newline");
  return o;
}

}  // namespace pgload

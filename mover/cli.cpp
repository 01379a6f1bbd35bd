// pgmove option parsing: one table of options, strict value checks, messages that say what was wrong.
#include "mover/cli.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>

namespace pgload {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<double> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return neg ? -v : v;
}

const std::set<std::string> kCommands = {"status", "plan", "add-node", "rebalance", "move", "drain", "recover"};

}  // namespace

std::optional<double> parse_rate(std::string_view text) {
  std::string_view s = text;
  if (s.size() >= 2 && (s.substr(s.size() - 2) == "/s" || s.substr(s.size() - 2) == "/S")) s.remove_suffix(2);
  // The number is what strtod reads (digits, sign, point, exponent); the rest is the unit.
  std::string str(s);
  if (str.empty() ||
      !(std::isdigit(static_cast<unsigned char>(str[0])) || str[0] == '.' || str[0] == '-' || str[0] == '+') ||
      str.find_first_of("xX") != std::string::npos)
    return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(str.c_str(), &end);
  if (end == str.c_str() || !std::isfinite(value)) return std::nullopt;
  size_t unit_at = static_cast<size_t>(end - str.c_str());
  std::optional<double> number = value;
  std::string unit = lower(s.substr(unit_at));
  double mult = 0;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "kb" || unit == "k")
    mult = 1e3;
  else if (unit == "mb" || unit == "m")
    mult = 1e6;
  else if (unit == "gb" || unit == "g")
    mult = 1e9;
  else if (unit == "kib")
    mult = 1024.0;
  else if (unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else
    return std::nullopt;
  return *number * mult;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = parse_int(text.substr(colon + 1));
  if (host.empty() || !port || *port < 1 || *port > 65535) return std::nullopt;
  return Endpoint{std::string(host), *port};
}

const char* usage_text() {
  return R"(pgmove: move and rebalance shards of a distributed PostgreSQL cluster (Citus, or the local pgcluster)

usage: pgmove [global options] COMMAND [arguments] [options]

commands:
  status [--json]                    nodes (shards, bytes, rows estimate), tables and colocation groups, then one
                                     line: "Rebalancing is recommended" / "Rebalancing is not recommended"
  plan [--strategy NAME] [--threshold F] [--drain HOST:PORT] [--json]
                                     the moves a rebalance would make, as get_rebalance_table_shards_plan() lists them
  add-node HOST:PORT                 register a running PostgreSQL server as a worker (citus_add_node)
  rebalance [move options]           plan with the strategy, then move the shards
  move SHARDID --to HOST:PORT [move options]
                                     move one shard (and the shards colocated with it) to another node
  drain HOST:PORT [move options]     move every shard off a node, then mark it shouldhaveshards = false
  recover                            finish or roll back moves interrupted by a crash (the move journal)

global options:
  --coordinator CONNINFO             coordinator conninfo or URI; default: libpq's PG* variables, service file, .pgpass
  --node-conninfo host:port=CONNINFO connect to that worker with this conninfo instead (repeatable)
  --backend citus|local              skip detection of the backend
  --json                             machine-readable output
  -h, --help                         this text

move options (rebalance, move, drain):
  --strategy NAME                    a row of pg_dist_rebalance_strategy (default: the one marked default_strategy)
  --threshold F                      allowed deviation from average utilization (default: the strategy's; raised to
                                     its minimum_threshold if lower)
  --parallel N                       moves running at once (default 1)
  --max-rate RATE                    copy rate limit: 50MB/s, 20MiB/s, 500kB/s or plain bytes per second
  --mode block_writes|logical        block writes during the copy, or copy with logical replication and block only
                                     for the switch (default: logical when the source has wal_level=logical)
  --spool DIR                        spool directory for the copy
  --progress                         report progress while copying
  --dry-run                          print the plan, move nothing

exit codes:
  0  success
  1  a move failed (it was rolled back: nothing is half-done; `pgmove recover` cleans up after a crash)
  2  usage or validation error (nothing was moved)
  3  cluster or connection error
)";
}

CliOptions parse_cli(int argc, const char* const* argv) {
  CliOptions o;
  auto need_value = [&](int& i, std::string_view name) -> std::string {
    std::string_view arg = argv[i];
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos) return std::string(arg.substr(eq + 1));
    if (i + 1 >= argc) throw UsageError(std::string(name) + " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name = arg.substr(0, arg.find('='));
    if (arg == "-h" || arg == "--help") {
      o.help = true;
    } else if (name == "--coordinator") {
      o.coordinator = need_value(i, name);
    } else if (name == "--node-conninfo") {
      o.node_conninfo.push_back(need_value(i, name));
      try {
        (void)parse_node_conninfo(o.node_conninfo.back());
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (name == "--backend") {
      auto v = need_value(i, name);
      o.backend = parse_backend(v);
      if (!o.backend) throw UsageError("--backend must be citus or local, not \"" + v + "\"");
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--dry-run") {
      o.dry_run = true;
    } else if (arg == "--progress") {
      o.progress = true;
    } else if (name == "--strategy") {
      o.strategy = need_value(i, name);
      if (o.strategy->empty()) throw UsageError("--strategy needs a name");
    } else if (name == "--threshold") {
      auto v = need_value(i, name);
      auto t = parse_number(v);
      if (!t || *t < 0)
        throw UsageError("--threshold must be a number >= 0 (a fraction such as 0.1), not \"" + v + "\"");
      o.threshold = *t;
    } else if (name == "--drain") {
      auto v = need_value(i, name);
      o.drain = parse_endpoint(v);
      if (!o.drain) throw UsageError("--drain must be HOST:PORT, not \"" + v + "\"");
    } else if (name == "--to") {
      auto v = need_value(i, name);
      o.to = parse_endpoint(v);
      if (!o.to) throw UsageError("--to must be HOST:PORT, not \"" + v + "\"");
    } else if (name == "--parallel") {
      auto v = need_value(i, name);
      auto n = parse_int(v);
      if (!n || *n <= 0) throw UsageError("--parallel must be a positive integer, not \"" + v + "\"");
      o.parallel = *n;
    } else if (name == "--max-rate") {
      auto v = need_value(i, name);
      auto r = parse_rate(v);
      if (!r) throw UsageError("--max-rate \"" + v + "\" is not a rate; use e.g. 50MB/s, 20MiB/s, 500kB/s or bytes");
      if (*r < 1) throw UsageError("--max-rate must be positive, not \"" + v + "\"");
      o.max_rate_bytes_per_s = static_cast<int64_t>(*r);
    } else if (name == "--mode") {
      auto v = need_value(i, name);
      if (v != "block_writes" && v != "logical")
        throw UsageError("--mode must be block_writes or logical, not \"" + v + "\"");
      o.mode = v;
    } else if (name == "--spool") {
      o.spool_dir = need_value(i, name);
      if (o.spool_dir.empty()) throw UsageError("--spool needs a directory");
    } else if (arg.size() > 1 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1]))) {
      throw UsageError("unknown option " + std::string(arg));
    } else if (o.command.empty()) {
      o.command = std::string(arg);
      if (!kCommands.count(o.command)) throw UsageError("unknown command \"" + o.command + "\"");
    } else {
      o.args.emplace_back(arg);
    }
  }
  if (o.help) return o;
  if (o.command.empty()) throw UsageError("no command given");

  auto expect_args = [&](size_t n, const char* what) {
    if (o.args.size() != n)
      throw UsageError("pgmove " + o.command + " takes " + what + " (got " + std::to_string(o.args.size()) +
                       " arguments)");
  };
  const bool moves = o.command == "rebalance" || o.command == "move" || o.command == "drain";
  if (o.command == "status" || o.command == "plan" || o.command == "rebalance" || o.command == "recover")
    expect_args(0, "no arguments");
  if (o.command == "add-node" || o.command == "drain") {
    expect_args(1, "one HOST:PORT");
    if (!parse_endpoint(o.args[0]))
      throw UsageError("pgmove " + o.command + " takes HOST:PORT, not \"" + o.args[0] + "\"");
  }
  if (o.command == "move") {
    expect_args(1, "one SHARDID");
    const std::string& id = o.args[0];
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos || id == "0" ||
        id[0] == '0')
      throw UsageError("SHARDID must be a positive integer, not \"" + id + "\"");
    if (!o.to) throw UsageError("pgmove move needs --to HOST:PORT");
  }
  if (o.to && o.command != "move") throw UsageError("--to only applies to pgmove move");
  if (o.drain && o.command != "plan")
    throw UsageError("--drain only applies to pgmove plan (use pgmove drain HOST:PORT)");
  if (!moves && (o.mode || o.max_rate_bytes_per_s || o.parallel != 1 || !o.spool_dir.empty() || o.dry_run))
    throw UsageError("--mode, --max-rate, --parallel, --spool and --dry-run only apply to rebalance, move and drain");
  if ((o.strategy || o.threshold) && !(moves || o.command == "plan"))
    throw UsageError("--strategy and --threshold only apply to plan, rebalance, move and drain");
  return o;
}

}  // namespace pgload

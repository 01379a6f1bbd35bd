// pgmove option parsing: every option declared once on a CLI11 app, strict value checks, messages that say what
// was wrong (the same messages as before CLI11: scripts match them).
#include "mover/cli/cli.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "common/byte_size.h"
#include "common/cli_format.h"
#include "common/duration.h"
#include "common/integer.h"

namespace pgload {

namespace {

// --threshold: a fraction such as 0.1.
std::optional<double> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

namespace {

struct Command {
  const char* name;
  const char* synopsis;
  const char* help;
};

// The commands in --help order; parse_cli() accepts exactly these names.
constexpr Command kCommands[] = {
    {"status", "status [--json]",
     "nodes (shards, bytes, rows estimate), tables and colocation groups, then one line: \"Rebalancing is "
     "recommended\" / \"Rebalancing is not recommended at this time\""},
    {"plan", "plan [--strategy NAME] [--threshold F] [--drain HOST:PORT] [--json]",
     "the moves a rebalance would make, as get_rebalance_table_shards_plan() lists them"},
    {"add-node", "add-node HOST:PORT", "register a running PostgreSQL server as a worker (citus_add_node)"},
    {"rebalance", "rebalance [move options]", "plan with the strategy, then move the shards"},
    {"move", "move SHARDID --to HOST:PORT [move options]",
     "move one shard (and the shards colocated with it) to another node"},
    {"drain", "drain HOST:PORT [move options]", "move every shard off a node, then mark it shouldhaveshards = false"},
    {"recover", "recover", "finish or roll back moves interrupted by a crash (the move journal)"},
    {"ui", "ui [--listen HOST:PORT] [--token T] [--allowed-host NAME]",
     "serve the Shard rebalancer page (status, plan, live progress; start, re-rate and stop a rebalance; add a "
     "node) and its JSON at /api/status"},
};

constexpr const char* kSynopsis = "usage: pgmove [global options] COMMAND [arguments] [options]\n";

constexpr const char* kExitCodes =
    "exit codes:\n"
    "  0  success\n"
    "  1  a move failed (it was rolled back: nothing is half-done; `pgmove recover` cleans up after a crash)\n"
    "  2  usage or validation error (nothing was moved)\n"
    "  3  cluster or connection error";

std::string commands_text() {
  std::string s =
      "pgmove: move and rebalance shards of a distributed PostgreSQL cluster (Citus, or the local pgcluster)\n\n"
      "commands:";
  for (const Command& c : kCommands) {
    std::string left = std::string("  ") + c.synopsis;
    s += "\n" + left;
    if (left.size() < kOptionColumn)
      s += std::string(kOptionColumn - left.size(), ' ');
    else
      s += "\n" + std::string(kOptionColumn, ' ');
    s += wrap_help(c.help, kOptionColumn);
  }
  return s;
}

bool is_command(const std::string& word) {
  for (const Command& c : kCommands)
    if (word == c.name) return true;
  return false;
}

using Apply = std::function<void(const std::string&)>;

void value(CLI::App& app, const char* group, const char* name, const char* arg, const char* help, Apply apply) {
  app.add_option_function<std::string>(name, std::move(apply), help)->type_name(arg)->group(group);
}

// Every option of pgmove, each once, grouped as --help shows them. Values are checked as they are stored.
void declare(CLI::App& app, CliOptions& o, std::vector<std::string>& words) {
  constexpr const char* kGlobal = "global options";
  constexpr const char* kPlan = "plan options (plan, rebalance, move, drain)";
  constexpr const char* kMove = "move options (rebalance, move, drain)";
  configure_cli(app, kSynopsis);
  app.description(commands_text());
  app.footer(kExitCodes);
  app.add_option("command", words)->group("");  // hidden: the command list above documents them
  declare_connection_options(app, o, kGlobal);
  app.add_flag("--json", o.json, "machine-readable output (status, plan, the move summary, add-node, recover)")
      ->group(kGlobal);
  app.add_flag("--verbose", o.verbose, "log each step on stderr (catalog, connections, moves)")->group(kGlobal);
  app.add_flag("--debug", o.debug, "like --verbose, plus the SQL, endpoint and SQLSTATE of a failing statement")
      ->group(kGlobal);
  app.set_help_flag("-h,--help", "this text")->group(kGlobal);
  app.add_flag("--version", o.version, "print the version and exit")->group(kGlobal);

  value(app, kPlan, "--strategy", "NAME",
        "a row of pg_dist_rebalance_strategy (default: the one marked default_strategy)", [&o](const std::string& v) {
          if (v.empty()) throw UsageError("--strategy needs a name");
          o.strategy = v;
        });
  value(app, kPlan, "--threshold", "F",
        "allowed deviation from average utilization (default: the strategy's; raised to its minimum_threshold if "
        "lower)",
        [&o](const std::string& v) {
          auto t = parse_number(v);
          if (!t || *t < 0)
            throw UsageError("--threshold must be a number >= 0 (a fraction such as 0.1), not \"" + v + "\"");
          o.threshold = *t;
        });
  value(app, kPlan, "--drain", "HOST:PORT", "plan only: plan the drain of this node", [&o](const std::string& v) {
    o.drain = parse_endpoint(v);
    if (!o.drain) throw UsageError("--drain must be HOST:PORT, not \"" + v + "\"");
  });

  value(app, kMove, "--to", "HOST:PORT", "move only: the target node", [&o](const std::string& v) {
    o.to = parse_endpoint(v);
    if (!o.to) throw UsageError("--to must be HOST:PORT, not \"" + v + "\"");
  });
  value(app, kMove, "--parallel", "N", "moves running at once (default 1)", [&o](const std::string& v) {
    auto n = parse_int64(v);
    if (!n || *n <= 0 || *n > INT_MAX) throw UsageError("--parallel must be a positive integer, not \"" + v + "\"");
    o.parallel = static_cast<int>(*n);
  });
  value(app, kMove, "--max-rate", "RATE",
        "copy rate limit: 50MB/s, 500kB/s, 1GB/s (powers of 1024, as in postgresql.conf) or plain bytes per second",
        [&o](const std::string& v) {
          auto r = parse_rate_bytes_per_s(v);
          if (!r)
            throw UsageError("--max-rate \"" + v + "\" is not a rate; use e.g. 50MB/s, 20MiB/s, 500kB/s or bytes");
          if (*r < 1) throw UsageError("--max-rate must be positive, not \"" + v + "\"");
          o.max_rate_bytes_per_s = static_cast<int64_t>(*r);
        });
  value(app, kMove, "--mode", "block_writes|logical",
        "block writes during the copy, or copy with logical replication and block writes only for the final "
        "catch-up and the switch (default: logical when the source has wal_level=logical)",
        [&o](const std::string& v) {
          if (v != "block_writes" && v != "logical")
            throw UsageError("--mode must be block_writes or logical, not \"" + v + "\"");
          o.mode = v;
        });
  value(app, kMove, "--spool", "DIR", "spool directory for the copy", [&o](const std::string& v) {
    if (v.empty()) throw UsageError("--spool needs a directory");
    o.spool_dir = v;
  });
  value(app, kMove, "--lock-timeout", "DURATION",
        "give up when a shard lock is not granted within DURATION: 500ms, 30s, 5min, 2h, 1d, a bare number is ms "
        "(default: wait forever)",
        [&o](const std::string& v) {
          auto ms = parse_duration_ms(v);
          if (!ms || *ms < 1)
            throw UsageError("--lock-timeout takes a duration such as 500ms, 30s, 5min, 2h or 1d, not \"" + v + "\"");
          o.lock_timeout_ms = *ms;
        });
  constexpr const char* kUi = "ui options";
  value(app, kUi, "--listen", "HOST:PORT", "address to serve the page on (default 127.0.0.1:8080, loopback only)",
        [&o](const std::string& v) {
          o.listen = parse_endpoint(v);
          if (!o.listen) throw UsageError("--listen must be HOST:PORT, not \"" + v + "\"");
        });
  value(app, kUi, "--token", "T", "the token that actions (POST) need; default: a random one, printed once at start",
        [&o](const std::string& v) {
          if (v.size() < 8) throw UsageError("--token must be at least 8 characters");
          o.token = v;
        });
  app.add_option_function<std::string>(
         "--allowed-host",
         [&o](const std::string& v) {
           if (v.empty() || v.find_first_of(" \t/:[]@") != std::string::npos)
             throw UsageError("--allowed-host takes a host name such as db-admin.example.com, not \"" + v + "\"");
           o.allowed_hosts.push_back(v);
         },
         "another name the page may be reached by (Host header, with the --listen port; repeatable); "
         "localhost, 127.0.0.1, [::1] and the --listen address always are")
      ->type_name("NAME")
      ->group(kUi)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->trigger_on_parse();
  app.add_flag("--progress", o.progress, "report progress while copying (stderr, when it is a TTY)")->group(kMove);
  app.add_flag("--dry-run", o.dry_run, "print the plan, move nothing")->group(kMove);
  app.add_flag("--citus-native", o.citus_native,
               "real Citus: move with Citus's citus_move_shard_placement() instead of pgmove's own copy and switch "
               "(the default without superuser on every node)")
      ->group(kMove);
}

}  // namespace

std::string usage_text() {
  CLI::App app("", "pgmove");
  CliOptions o;
  std::vector<std::string> words;
  declare(app, o, words);
  return app.help();
}

CliOptions parse_cli(int argc, const char* const* argv) {
  CliOptions o;
  CLI::App app("", "pgmove");
  std::vector<std::string> words;
  declare(app, o, words);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    o.help = true;
    return o;
  } catch (const CLI::Error& e) {
    throw UsageError(cli_error_message(e));
  }
  if (std::string unknown = first_unknown_word(app); !unknown.empty()) throw UsageError("unknown option " + unknown);
  if (!words.empty()) {
    o.command = words.front();
    if (!is_command(o.command)) throw UsageError("unknown command \"" + o.command + "\"");
    o.args.assign(words.begin() + 1, words.end());
  }
  if (o.version) return o;
  if (o.command.empty()) throw UsageError("no command given");

  auto expect_args = [&](size_t n, const char* what) {
    if (o.args.size() != n)
      throw UsageError(o.command + " takes " + what + " (got " + std::to_string(o.args.size()) + " arguments)");
  };
  const bool moves = o.command == "rebalance" || o.command == "move" || o.command == "drain";
  if (o.command == "status" || o.command == "plan" || o.command == "rebalance" || o.command == "recover" ||
      o.command == "ui")
    expect_args(0, "no arguments");
  if (o.command == "add-node" || o.command == "drain") {
    expect_args(1, "one HOST:PORT");
    if (!parse_endpoint(o.args[0])) throw UsageError(o.command + " takes HOST:PORT, not \"" + o.args[0] + "\"");
  }
  if (o.command == "move") {
    expect_args(1, "one SHARDID");
    const std::string& id = o.args[0];
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos || id == "0" ||
        id[0] == '0')
      throw UsageError("SHARDID must be a positive integer, not \"" + id + "\"");
    if (!o.to) throw UsageError("move needs --to HOST:PORT (the node to move the shard to)");
  }
  if (o.to && o.command != "move") throw UsageError("--to only applies to move");
  if ((o.listen || !o.token.empty()) && o.command != "ui") throw UsageError("--listen and --token only apply to ui");
  if (!o.allowed_hosts.empty() && o.command != "ui") throw UsageError("--allowed-host only applies to ui");
  if (o.drain && o.command != "plan") throw UsageError("--drain only applies to plan (use pgmove drain HOST:PORT)");
  if (!moves &&
      (o.mode || o.max_rate_bytes_per_s || o.parallel != 1 || !o.spool_dir.empty() || o.dry_run || o.citus_native))
    throw UsageError(
        "--mode, --max-rate, --parallel, --spool, --dry-run and --citus-native only apply to rebalance, move and "
        "drain");
  if ((o.strategy || o.threshold) && !(moves || o.command == "plan"))
    throw UsageError("--strategy and --threshold only apply to plan, rebalance, move and drain");
  return o;
}

}  // namespace pgload

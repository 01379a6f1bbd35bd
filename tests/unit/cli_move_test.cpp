// pgmove's command line without a cluster: the commands and their checks, --help listing every option, the new
// options, and the messages (no doubled "pgmove: pgmove").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mover/cli/cli.h"
#include "tests/support/cli_args.h"

namespace pgload {
namespace {

CliOptions parse(std::vector<const char*> args) { return test::parse_argv(parse_cli, "pgmove", std::move(args)); }
std::string usage_error(std::vector<const char*> args) {
  return test::usage_error_of(parse_cli, "pgmove", std::move(args));
}

TEST(CliMove, OptionsBeforeOrAfterTheCommand) {
  auto o = parse({"--coordinator",
                  "host=x",
                  "--json",
                  "rebalance",
                  "--parallel",
                  "2",
                  "--max-rate=20MiB/s",
                  "--mode",
                  "block_writes",
                  "--spool",
                  "/tmp",
                  "--progress",
                  "--dry-run",
                  "--strategy",
                  "by_disk_size",
                  "--threshold",
                  "0.1",
                  "--backend",
                  "citus",
                  "--node-conninfo",
                  "h:1=port=5"});
  EXPECT_EQ(o.command, "rebalance");
  EXPECT_EQ(o.coordinator, "host=x");
  EXPECT_TRUE(o.json && o.progress && o.dry_run);
  EXPECT_EQ(o.parallel, 2);
  EXPECT_EQ(o.max_rate_bytes_per_s, 20 * 1024 * 1024);
  EXPECT_EQ(o.mode, "block_writes");
  EXPECT_EQ(o.spool_dir, "/tmp");
  EXPECT_EQ(o.strategy, "by_disk_size");
  EXPECT_EQ(o.threshold, 0.1);
  EXPECT_EQ(o.backend, Backend::Citus);
  EXPECT_EQ(o.node_conninfo, std::vector<std::string>{"h:1=port=5"});

  auto late = parse({"status", "--json", "--coordinator", "host=y"});
  EXPECT_EQ(late.command, "status");
  EXPECT_TRUE(late.json);
  EXPECT_EQ(late.coordinator, "host=y");
  auto plan = parse({"plan", "--drain", "[::1]:5432"});
  EXPECT_EQ(plan.drain, (Endpoint{"::1", 5432}));
  auto drain = parse({"drain", "h:7"});
  EXPECT_EQ(drain.args, std::vector<std::string>{"h:7"});
}

TEST(CliMove, Validation) {
  EXPECT_EQ(usage_error({"move", "102008"}), "move needs --to HOST:PORT (the node to move the shard to)");
  EXPECT_EQ(usage_error({"frobnicate"}), "unknown command \"frobnicate\"");
  EXPECT_EQ(usage_error({"status", "--frob"}), "unknown option --frob");
  EXPECT_EQ(usage_error({}), "no command given");
  EXPECT_EQ(usage_error({"drain"}), "drain takes one HOST:PORT (got 0 arguments)");
  EXPECT_EQ(usage_error({"status", "x"}), "status takes no arguments (got 1 arguments)");
  EXPECT_EQ(usage_error({"add-node", "nonsense"}), "add-node takes HOST:PORT, not \"nonsense\"");
  EXPECT_EQ(usage_error({"status", "--to", "h:5"}), "--to only applies to move");
  // A negative number is the option's value, not an unknown option.
  EXPECT_EQ(usage_error({"rebalance", "--max-rate", "-5MB/s"}), "--max-rate must be positive, not \"-5MB/s\"");
  EXPECT_EQ(usage_error({"rebalance", "--parallel", "-2"}), "--parallel must be a positive integer, not \"-2\"");
  EXPECT_EQ(usage_error({"rebalance", "--strategy", ""}), "--strategy needs a name");
  EXPECT_EQ(usage_error({"status", "--node-conninfo", "nonsense"}).find("nonsense") != std::string::npos, true);
  for (const auto& e : {usage_error({"move", "102008"}), usage_error({"drain"}), usage_error({"status", "x"})})
    EXPECT_NE(e.rfind("pgmove ", 0), 0u) << e;  // main prefixes "pgmove: "
}

TEST(CliMove, NewOptions) {
  auto o = parse({"move", "102008", "--to", "h:5", "--lock-timeout", "30s", "--verbose", "--debug"});
  EXPECT_EQ(o.lock_timeout_ms, 30000);
  EXPECT_TRUE(o.verbose && o.debug);
  EXPECT_FALSE(parse({"rebalance"}).lock_timeout_ms);
  EXPECT_EQ(parse({"rebalance", "--lock-timeout", "2min"}).lock_timeout_ms, 120000);
  EXPECT_EQ(usage_error({"rebalance", "--lock-timeout", "soon"}),
            "--lock-timeout takes a duration such as 500ms, 30s, 5min, 2h or 1d, not \"soon\"");
  EXPECT_TRUE(parse({"--version"}).version);
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"status", "-h"}).help);
}

TEST(CliMove, HelpListsEverything) {
  const std::string help = usage_text();
  for (const char* s : {"status [--json]",
                        "plan [--strategy NAME]",
                        "add-node HOST:PORT",
                        "rebalance [move options]",
                        "move SHARDID --to HOST:PORT",
                        "drain HOST:PORT",
                        "recover",
                        "--coordinator CONNINFO",
                        "--node-conninfo host:port=CONNINFO",
                        "--backend citus|local",
                        "--json",
                        "--verbose",
                        "--debug",
                        "-h, --help",
                        "--version",
                        "--strategy NAME",
                        "--threshold F",
                        "--drain HOST:PORT",
                        "--to HOST:PORT",
                        "--parallel N",
                        "--max-rate RATE",
                        "--mode block_writes|logical",
                        "--spool DIR",
                        "--lock-timeout DURATION",
                        "--progress",
                        "--dry-run",
                        "exit codes:",
                        "2  usage or validation error",
                        "3  cluster or connection error"})
    EXPECT_NE(help.find(s), std::string::npos) << s << "\n" << help;
  for (size_t start = 0, end; start < help.size(); start = end + 1) {
    end = help.find('\n', start);
    if (end == std::string::npos) end = help.size();
    EXPECT_LE(end - start, 118u) << help.substr(start, end - start);
  }
}

}  // namespace
}  // namespace pgload

// pgmove: shard mover / rebalancer. Parses the command line, runs the command (mover/cli/commands.h, or the page in
// mover/ui/), and maps every failure to one exit code: 0 ok, 1 move failed, 2 usage/validation, 3 cluster/connection.
#include <iostream>
#include <string>

#include "common/conninfo.h"
#include "common/log.h"
#include "common/pg.h"
#include "common/version.h"
#include "mover/cli/cli.h"
#include "mover/cli/commands.h"
#include "mover/cluster/cluster_state.h"
#include "mover/rebalance.h"
#include "mover/ui/ui_server.h"

namespace pgload {
namespace {

int run(int argc, char** argv) {
  CliOptions o = parse_cli(argc, argv);
  if (o.help) {
    std::cout << usage_text();
    return kExitOk;
  }
  if (o.version) {
    std::cout << "pgmove " << kVersion << "\n";
    return kExitOk;
  }
  log::init("pgmove", o.debug ? log::Verbosity::Debug : o.verbose ? log::Verbosity::Verbose : log::Verbosity::Normal);
  check_connection_options(o);
  if (o.command == "status") return cmd_status(o);
  if (o.command == "plan") return cmd_plan(o);
  if (o.command == "rebalance") return cmd_rebalance(o);
  if (o.command == "move") return cmd_move(o);
  if (o.command == "drain") return cmd_drain(o);
  if (o.command == "add-node") return cmd_add_node(o);
  if (o.command == "ui") return run_ui({o, o.listen, o.token, o.allowed_hosts});
  return cmd_recover(o);
}

}  // namespace
}  // namespace pgload

int main(int argc, char** argv) {
  using namespace pgload;
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "pgmove: " << redact_conninfo(e.what()) << "\nTry `pgmove --help`.\n";
    return kExitUsage;
  } catch (const PlanInputError& e) {
    std::cerr << "pgmove: " << e.what() << "\n";
    return kExitUsage;
  } catch (const MoveFailed& e) {
    std::cerr << "pgmove: move failed: " << redact_conninfo(e.what()) << "\n";
    return kExitMoveFailed;
  } catch (const PgError& e) {
    log::failed_statement(e);
    std::cerr << "pgmove: " << redact_conninfo(e.what()) << "\n";
    return kExitCluster;
  } catch (const std::exception& e) {
    std::cerr << "pgmove: " << redact_conninfo(e.what()) << "\n";
    return kExitCluster;
  }
}

// The connection options' help text and checks live here only, so pgload and pgmove cannot drift apart.
#include "common/connection_options.h"

#include <stdexcept>

#include "common/conninfo.h"
#include "common/exit_code.h"
#include "common/log.h"

namespace pgload {

void declare_connection_options(CLI::App& app, ConnectionOptions& options, const std::string& group) {
  app.add_option_function<std::string>(
         "--coordinator", [&options](const std::string& v) { options.coordinator = v; },
         "coordinator conninfo or URI (default: libpq's PG* variables, service file, .pgpass)")
      ->type_name("CONNINFO")
      ->group(group);
  app.add_option_function<std::string>(
         "--node-conninfo",
         [&options](const std::string& v) {
           try {
             (void)parse_node_conninfo(v);
           } catch (const std::invalid_argument& e) {
             throw UsageError(e.what());
           }
           options.node_conninfo.push_back(v);
         },
         "connect to that worker with this conninfo instead of the coordinator's settings (repeatable)")
      ->type_name("host:port=CONNINFO")
      ->group(group)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->trigger_on_parse();  // once per occurrence, in command-line order
  app.add_option_function<std::string>(
         "--backend",
         [&options](const std::string& v) {
           options.backend = parse_backend(v);
           if (!options.backend) throw UsageError("--backend takes citus or local, got '" + v + "'");
         },
         "the catalog backend, instead of detecting it")
      ->type_name("citus|local")
      ->group(group);
}

void check_connection_options(const ConnectionOptions& options) {
  if (auto error = conninfo_error(options.coordinator)) throw UsageError("--coordinator: " + *error);
  for (const auto& spec : options.node_conninfo) {
    auto [endpoint, conninfo] = parse_node_conninfo(spec);
    if (auto error = conninfo_error(conninfo)) throw UsageError("--node-conninfo " + endpoint + ": " + *error);
  }
}

void apply_node_conninfo(Catalog& catalog, const ConnectionOptions& options) {
  for (const auto& spec : options.node_conninfo) {
    auto [endpoint, conninfo] = parse_node_conninfo(spec);
    catalog.set_node_conninfo(endpoint, conninfo);
    log::info("worker {} is reached with {}", endpoint, log::printable_conninfo(conninfo));
  }
}

}  // namespace pgload

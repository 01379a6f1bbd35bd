// spdlog's default logger, replaced by one stderr sink with the tool's name; the level is the only switch.
#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>

#include "common/catalog.h"
#include "common/pg.h"

namespace pgload::log {

namespace {
std::atomic<bool> g_verbose{false};
}  // namespace

bool verbose() noexcept { return g_verbose.load(std::memory_order_relaxed); }

void init(const char* tool, Verbosity verbosity) {
  g_verbose.store(verbosity != Verbosity::Normal, std::memory_order_relaxed);
  auto logger = std::make_shared<spdlog::logger>(tool, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%n: %l: %v");
  logger->set_level(verbosity == Verbosity::Debug     ? spdlog::level::debug
                    : verbosity == Verbosity::Verbose ? spdlog::level::info
                                                      : spdlog::level::warn);
  logger->flush_on(spdlog::level::trace);  // interleaves correctly with the tools' own stderr lines
  spdlog::set_default_logger(std::move(logger));
}

void failed_statement(const PgError& e) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  spdlog::debug("failed on {} (SQLSTATE {}): {}", e.endpoint().empty() ? "?" : e.endpoint(),
                e.sqlstate().empty() ? "none" : e.sqlstate(),
                !e.query().empty()    ? redact_conninfo(e.query())
                : e.connection_lost() ? std::string("(connecting)")
                                      : std::string("(no statement)"));
}

std::string printable_conninfo(const std::string& conninfo) {
  return conninfo.empty() ? "(libpq defaults: PG* environment, service file, .pgpass)" : redact_conninfo(conninfo);
}

}  // namespace pgload::log

// pgload: parse the command line, run the command (loader/load_run) and map its outcome to an exit code and the
// summary or --json report.
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>

#include "common/connection_options.h"
#include "common/log.h"
#include "common/pg.h"
#include "common/version.h"
#include "loader/load_error.h"
#include "loader/load_run.h"
#include "loader/options.h"
#include "loader/report.h"
#include "loader/source.h"

using namespace pgload;

int main(int argc, char** argv) {
  // Batch buffers of about --batch-bytes come and go all load long: keep them in the heap instead of mmap/trim
  // churn, which page-faulted every byte sent once more.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  LoadOptions o;
  try {
    o = parse_load_options(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "pgload: %s\n", redact_conninfo(e.what()).c_str());
    return kExitUsage;
  }
  if (o.command == "help") {
    std::fputs(load_usage().c_str(), stdout);
    return kExitLoaded;
  }
  if (o.command == "version") {
    std::printf("pgload %s\n", kVersion);
    return kExitLoaded;
  }
  log::init("pgload", o.debug ? log::Verbosity::Debug : o.verbose ? log::Verbosity::Verbose : log::Verbosity::Normal);
  LoadReport report;
  report.table = o.table;
  int code = kExitLoaded;
  try {
    code = run_pgload(o, report);
  } catch (const LoadError& e) {
    code = e.code();
    report.error = e.what();
  } catch (const UsageError& e) {
    code = kExitUsage;
    report.error = e.what();
  } catch (const SourceError& e) {
    code = kExitSource;
    report.error = std::string(e.what()) + "; nothing was loaded";
  } catch (const PgError& e) {
    log::failed_statement(e);
    code = kExitCluster;
    report.error = std::string(e.what()) + "; nothing was loaded";
  } catch (const std::exception& e) {
    code = kExitCluster;
    report.error = e.what();
  }
  // libpq repeats a malformed conninfo/URI in its errors: never print a password that came with it.
  report.error = redact_conninfo(report.error);
  report.exit_code = code;
  if (code != kExitLoaded) report.outcome = code == kExitInDoubt ? "in_doubt" : "failed";
  // Said even with --quiet or --json: it tells a caller not to load the input again.
  if (!report.warning.empty()) std::fprintf(stderr, "pgload: warning: %s\n", report.warning.c_str());
  // recover and status printed their own report; a load's is printed here, and any command's error.
  if (o.command != "load" && report.error.empty()) return code;
  if (o.json) {
    std::printf("%s\n", report_json(report).c_str());
  } else if (!report.error.empty()) {
    std::fprintf(stderr, "pgload: %s\n", report.error.c_str());
  } else if (!o.quiet) {
    std::fputs(report_text(report, o.dry_run).c_str(), stdout);
  }
  return code;
}

// One pgload command run against the cluster: connect, read the catalog, finish what a crashed run left prepared,
// then load (the whole input, or --checkpoint steps) or answer recover/status. main.cpp keeps parsing and exit codes.
#pragma once

#include "loader/options.h"
#include "loader/report.h"

namespace pgload {

// Returns the exit code and fills `report`; throws LoadError, UsageError, SourceError or PgError as main maps them.
int run_pgload(const LoadOptions& o, LoadReport& report);

}  // namespace pgload

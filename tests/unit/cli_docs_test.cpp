// docs/pgload.md and docs/pgmove.md carry the tools' --help output between markers; this fails when they drift.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

TEST(CliDocs, PgloadAndPgmoveDocsMatchHelp) {
  auto r = run_command(std::string("python3 ") + PGLOAD_SOURCE_DIR + "/scripts/gen-cli-docs --check --pgload " +
                       PGLOAD_BIN + " --pgmove " + PGMOVE_BIN);
  EXPECT_EQ(r.exit_code, 0) << "docs/pgload.md or docs/pgmove.md differ from --help: run scripts/gen-cli-docs\n"
                            << r.output;
}

}  // namespace
}  // namespace pgload::test

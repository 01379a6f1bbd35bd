#include "tests/support/parquet_fixtures.h"

#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {

const ParquetFixtures& parquet_fixtures() {
  static const ParquetFixtures f = [] {
    ParquetFixtures out;
    if (run_command("command -v node && command -v npm").exit_code != 0) {
      out.skip_reason = "no node/npm (scripts/install-deps installs them)";
      return out;
    }
    const std::string dir = temp_dir("pgload-parquet");
    const std::string src = std::string(PGLOAD_SOURCE_DIR) + "/tests/parquet";
    const std::string js = dir + "/js";
    const CommandResult npm = run_command(
        "mkdir -p " + sh(js) + " && cp " + sh(src + "/package.json") + " " + sh(src + "/package-lock.json") + " " +
        sh(src + "/write_fixtures.mjs") + " " + sh(src + "/arrow_fixtures.mjs") + " " + sh(js) + " && cd " + sh(js) +
        " && timeout 300 npm ci --no-audit --no-fund --loglevel=error 2>&1 && timeout 300 node write_fixtures.mjs " +
        sh(dir) + " 2>&1 && timeout 300 node arrow_fixtures.mjs " + sh(dir) + " 2>&1");
    if (npm.exit_code != 0) {
      out.skip_reason = "npm ci or a Parquet writer failed (no registry access?): " + npm.output;
      return out;
    }
    out.dir = dir;
    return out;
  }();
  return f;
}

}  // namespace pgload::test

// `pgmove ui` in a real browser: a local cluster with pgload-ed rows, the page served on a free loopback port, and
// tests/browser/ui.spec.mjs driving Debian's chromium through it (npm ci installs playwright-core; no browser
// download). Skips when chromium or node is missing. PGLOAD_SCREENSHOT_DIR=docs/img refreshes the pgmove.md pictures.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr int64_t kUsers = 200000;  // enough that a 400 kB/s rebalance stays observable for several seconds

bool exists(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// `pgmove ui` in the background, stopped (SIGTERM) with the object.
class UiServer {
 public:
  UiServer(const TestCluster& cluster, int port, const std::string& token, const std::string& log) {
    auto r = run_command(std::string(PGMOVE_BIN) + " --coordinator " + sh(cluster.conninfo()) +
                         " ui --listen 127.0.0.1:" + std::to_string(port) + " --token " + token + " > " + sh(log) +
                         " 2>&1 & echo $!");
    pid_ = std::stoi(r.output);
  }
  ~UiServer() { (void)run_command("kill " + std::to_string(pid_) + " 2>/dev/null; sleep 0.5"); }
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

 private:
  int pid_ = 0;
};

TEST(UiBrowser, ThreeVerdictsARebalanceFromThePageAndTheToken) {
  if (!exists("/usr/bin/chromium")) GTEST_SKIP() << "no /usr/bin/chromium (scripts/install-deps installs it)";
  if (run_command("command -v node && command -v npm").exit_code != 0) GTEST_SKIP() << "no node/npm";

  TestCluster cluster(2);
  {
    auto c = cluster.connect();
    c.run("CREATE TABLE payment_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.run("SELECT create_distributed_table('payment_users', 'user_id')");
  }
  const std::string dir = temp_dir("pgload-ui-browser");
  const std::string csv = dir + "/users.csv";
  auto g = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kUsers) + " --out " + sh(csv));
  ASSERT_EQ(g.exit_code, 0) << g.output;
  auto l = run_pgload(cluster.conninfo(), "--url " + sh(csv) + " --table payment_users --quiet");
  ASSERT_EQ(l.exit_code, 0) << l.output;

  // playwright-core from the committed lock file, outside the source tree.
  const std::string src = std::string(PGLOAD_SOURCE_DIR) + "/tests/browser";
  const std::string js = dir + "/js";
  auto npm = run_command("mkdir -p " + sh(js) + " && cp " + sh(src + "/package.json") + " " +
                         sh(src + "/package-lock.json") + " " + sh(src + "/ui.spec.mjs") + " " + sh(js) + " && cd " +
                         sh(js) + " && timeout 300 npm ci --no-audit --no-fund --loglevel=error");
  ASSERT_EQ(npm.exit_code, 0) << npm.output;

  const int port = free_port_range(1);
  const std::string token = "t0k3n-for-the-browser-test";
  const std::string log = dir + "/ui.log";
  UiServer ui(cluster, port, token, log);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = run_command("grep -q 'serving' " + sh(log)).exit_code == 0;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << run_command("cat " + sh(log)).output;
  EXPECT_EQ(run_command("grep -c " + sh(token) + " " + sh(log)).output, "1\n") << "the token is printed once";

  // A page of another site reaching us through a name of its own (DNS rebinding) is refused.
  const std::string api = "http://127.0.0.1:" + std::to_string(port) + "/api/status";
  EXPECT_EQ(
      run_command("curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:" + std::to_string(port) + "' " + api)
          .output,
      "403");
  EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' " + api).output, "200");

  const char* shots = std::getenv("PGLOAD_SCREENSHOT_DIR");
  const std::string add_worker = std::string(PGCLUSTER_PATH) + " add-worker --dir " + cluster.dir() + " >/dev/null";
  auto spec = run_command("cd " + sh(js) + " && UI_URL=" + sh("http://127.0.0.1:" + std::to_string(port) + "/") +
                          " UI_TOKEN=" + sh(token) + " ADD_WORKER_CMD=" + sh(add_worker) +
                          " SCREENSHOT_DIR=" + sh(shots ? shots : "") + " timeout 400 node ui.spec.mjs");
  std::cout << spec.output;  // the checks the page passed, for the CI log
  EXPECT_EQ(spec.exit_code, 0) << spec.output << "\n--- pgmove ui log:\n" << run_command("cat " + sh(log)).output;

  // What the page said holds in the catalog: three workers within one shard of each other, no row lost.
  auto c = cluster.connect();
  auto spread = c.exec(
      "SELECT max(n) - min(n) FROM (SELECT count(*) n FROM pg_dist_placement p JOIN pg_dist_node d USING (groupid) "
      "WHERE d.groupid <> 0 GROUP BY d.groupid) s");
  EXPECT_LE(spread.i64(0, 0), 1);
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_node WHERE groupid <> 0").value_or(""), "3");
  EXPECT_EQ(c.scalar("SELECT count(*) FROM payment_users").value_or(""), std::to_string(kUsers));
}

}  // namespace
}  // namespace pgload::test

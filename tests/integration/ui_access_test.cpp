// `pgmove ui` over real HTTP (curl against the running page): the token as header or form field, wrong or missing
// tokens refused, and Host headers that do not name the server refused (DNS rebinding), --allowed-host added.
// No cluster is needed: the page serves while its status reads fail, and an accepted action answers 409 (nothing
// running) where a refused one answers 401 or 403.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr const char* kToken = "form-field-token-1234";

class UiAccess : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port_range(1);
    log_ = temp_dir("pgload-ui-access") + "/ui.log";
    const int closed = free_port_range(1);
    auto r = run_command(std::string(PGMOVE_BIN) + " --coordinator " +
                         sh("host=127.0.0.1 port=" + std::to_string(closed) + " connect_timeout=1") +
                         " ui --listen 127.0.0.1:" + std::to_string(port_) + " --token " + kToken +
                         " --allowed-host pgmove.example > " + sh(log_) + " 2>&1 & echo $!");
    pid_ = std::stoi(r.output);
    for (int i = 0; i < 100 && run_command("grep -q serving " + sh(log_)).exit_code != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  static void TearDownTestSuite() { (void)run_command("kill " + std::to_string(pid_)); }

  // The HTTP status of curl with `args` against `path` of the page.
  static std::string status_of(const std::string& args, const std::string& path) {
    return run_command("curl -s -o /dev/null -w '%{http_code}' " + args + " " +
                       sh("http://127.0.0.1:" + std::to_string(port_) + path))
        .output;
  }
  static std::string host(const std::string& name) { return "-H " + sh("Host: " + name + ":" + std::to_string(port_)); }

  static int port_;
  static int pid_;
  static std::string log_;
};
int UiAccess::port_ = 0;
int UiAccess::pid_ = 0;
std::string UiAccess::log_;

TEST_F(UiAccess, TheTokenAsHeaderOrFormField) {
  ASSERT_EQ(run_command("grep -q serving " + sh(log_)).exit_code, 0) << run_command("cat " + sh(log_)).output;
  const std::string token = kToken;
  EXPECT_EQ(status_of("-d ''", "/api/stop"), "401") << "no token";
  EXPECT_EQ(status_of("-d '' -H 'Authorization: Bearer wrong-token-123'", "/api/stop"), "401");
  EXPECT_EQ(status_of("-d '' -H " + sh("Authorization: Bearer " + token), "/api/stop"), "409");
  // The form field: refused (401) before the token was read after the body.
  EXPECT_EQ(status_of("-d " + sh("token=" + token), "/api/stop"), "409");
  EXPECT_EQ(status_of("-d " + sh("max_rate=16MB&token=" + token), "/api/rate"), "409");
  EXPECT_EQ(status_of("-F " + sh("token=" + token), "/api/stop"), "409") << "multipart form";
  EXPECT_EQ(status_of("-d token=wrong-token-123", "/api/stop"), "401");
  EXPECT_EQ(status_of("-d " + sh("token=" + token + "x"), "/api/stop"), "401");
  EXPECT_EQ(status_of("-d token=", "/api/stop"), "401");
  EXPECT_EQ(status_of("-d ''", "/api/stop?token=" + token), "401") << "never from the query string";
  // From another site's page, even with the token.
  EXPECT_EQ(status_of("-d " + sh("token=" + token) + " -H 'Origin: http://evil.example'", "/api/stop"), "403");
  // Bad values are still checked once the token is accepted.
  EXPECT_EQ(status_of("-d " + sh("max_rate=fast&token=" + token), "/api/rate"), "400");
  EXPECT_EQ(run_command("grep -c " + sh(token) + " " + sh(log_)).output, "1\n") << "the token is printed once";
}

TEST_F(UiAccess, OnlyHostsThatNameTheServer) {
  EXPECT_EQ(status_of("", "/api/status"), "200");
  EXPECT_EQ(status_of(host("localhost"), "/api/status"), "200");
  EXPECT_EQ(status_of(host("[::1]"), "/api/status"), "200");
  EXPECT_EQ(status_of(host("pgmove.example"), "/api/status"), "200") << "--allowed-host";
  EXPECT_EQ(status_of(host("PGMOVE.example"), "/"), "200");
  EXPECT_EQ(status_of(host("evil.example"), "/api/status"), "403") << "DNS rebinding";
  EXPECT_EQ(status_of(host("evil.example"), "/"), "403");
  EXPECT_EQ(status_of("-H 'Host: localhost:1'", "/api/status"), "403") << "another port";
  EXPECT_EQ(status_of(host("evil.example") + " -d " + sh(std::string("token=") + kToken), "/api/stop"), "403");
}

}  // namespace
}  // namespace pgload::test

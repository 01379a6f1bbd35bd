// Starts and stops real PostgreSQL clusters through the project's own pgcluster command.
#include "tests/support/test_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>

#include "tests/support/files.h"

namespace pgload::test {

CommandResult run_command(const std::string& command) {
  CommandResult res;
  std::string full = command + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + command);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) res.output.append(buf, n);
  int status = pclose(p);
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return res;
}

std::string pgload_command(const std::string& conninfo, const std::string& args, const std::string& env,
                           int timeout_s) {
  return (env.empty() ? "" : env + " ") + "timeout " + std::to_string(timeout_s) + " " + PGLOAD_BIN +
         " --coordinator " + sh(conninfo) + " " + args;
}

CommandResult run_pgload(const std::string& conninfo, const std::string& args, const std::string& env, int timeout_s) {
  return run_command(pgload_command(conninfo, args, env, timeout_s));
}

std::string reference_path(const std::string& file) { return std::string(PGLOAD_REFERENCE_DIR) + "/" + file; }

std::string generated_users(const std::string& path, int64_t rows, const std::string& gen_args) {
  if (access(path.c_str(), R_OK) == 0) return path;
  auto r =
      run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(rows) + " " + gen_args + " --out " + path);
  if (r.exit_code != 0) throw std::runtime_error("gen_users failed: " + r.output);
  return path;
}

void create_users_table(const PgConn& coordinator, const std::string& name) {
  coordinator.run("DROP TABLE IF EXISTS " + name);
  coordinator.run("CREATE TABLE " + name + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  coordinator.run("SELECT create_distributed_table('" + name + "', 'user_id', colocate_with => 'none')");
}

std::string temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  std::filesystem::permissions(buf.data(), std::filesystem::perms::all);  // the postgres user writes here too
  return buf.data();
}

static bool port_free(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// Ports to listen on are drawn below the kernel's ephemeral range: a port the kernel handed to a client socket (any
// test's libpq or curl connection) cannot be bound for listening until that connection closes, which once failed a
// worker added to a running test cluster while other test binaries ran beside it.
int free_port_range(int count) {
  int ephemeral_low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> ephemeral_low;
  const int low = 10000, high = std::max(ephemeral_low, 20000) - count;
  std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    int base = low + static_cast<int>(rng() % static_cast<unsigned>(high - low));
    bool ok = true;
    for (int i = 0; i < count && ok; ++i) ok = port_free(base + i);
    if (ok) return base;
  }
  throw std::runtime_error("no free loopback port range");
}

TestCluster::TestCluster(int workers) {
  // Test binaries run in parallel (ctest -j3): another one's cluster can take a port of the range between the check
  // and the postmaster's bind, so a start that fails is retried on a new range.
  CommandResult r;
  for (int attempt = 1;; ++attempt) {
    dir_ = temp_dir("pgload-cluster");
    port_ = free_port_range(workers + 6);  // room for workers added later
    r = run_command(std::string(PGCLUSTER_PATH) + " up --dir " + dir_ + " --workers " + std::to_string(workers) +
                    " --port " + std::to_string(port_));
    if (r.exit_code == 0) break;
    // The destructor won't run: stop whatever half-started before retrying or reporting.
    (void)run_command(std::string(PGCLUSTER_PATH) + " destroy --dir " + dir_);
    if (attempt == 3) throw std::runtime_error("pgcluster up failed 3 times; the last time:\n" + r.output);
  }
  // The last line of stdout is the coordinator's conninfo.
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  conninfo_ = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
}

TestCluster::~TestCluster() {
  if (dir_.empty()) return;
  try {
    (void)run_command(std::string(PGCLUSTER_PATH) + " destroy --dir " + dir_);
  } catch (const std::exception&) {
    // Out of memory building the command at exit: the nodes stop with the test process's temp dir anyway.
  }
}

TestCluster& TestCluster::shared() {
  static std::unique_ptr<TestCluster> cluster = std::make_unique<TestCluster>(2);
  return *cluster;
}

std::vector<int> TestCluster::worker_ports() const {
  auto c = connect();
  auto r = c.exec("SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid");
  std::vector<int> ports;
  for (int i = 0; i < r.rows(); ++i) ports.push_back(static_cast<int>(r.i64(i, 0)));
  return ports;
}

std::string TestCluster::node_conninfo(int port) const {
  return "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres user=postgres";
}

CommandResult TestCluster::pgcluster(const std::string& verb_and_args) const {
  std::string verb = verb_and_args.substr(0, verb_and_args.find(' '));
  std::string rest = verb_and_args.size() > verb.size() ? verb_and_args.substr(verb.size()) : "";
  return run_command(std::string(PGCLUSTER_PATH) + " " + verb + " --dir " + dir_ + rest);
}

int TestCluster::add_worker() {
  auto r = pgcluster("add-worker");
  if (r.exit_code != 0) throw std::runtime_error("pgcluster add-worker failed:\n" + r.output);
  auto ports = worker_ports();
  return ports.back();
}

}  // namespace pgload::test

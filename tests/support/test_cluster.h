// A real local cluster (pgcluster) on free loopback ports for integration tests; destroyed with the object.
#pragma once

#include <string>
#include <vector>

#include "common/pg.h"

namespace pgload::test {

// Output and exit code of a shell command (stdout and stderr together).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const std::string& command);

// How every test runs pgload: `[ENV ]timeout SECONDS pgload --coordinator CONNINFO ARGS`, CONNINFO shell-quoted,
// ENV assignments for pgload alone ("PGLOAD_FAULT=after_step:1") or empty. A command to pipe into or from; ARGS may
// start with a verb (`recover`, `status`).
std::string pgload_command(const std::string& conninfo, const std::string& args, const std::string& env = "",
                           int timeout_s = 240);
// That command run, its stdout and stderr together.
CommandResult run_pgload(const std::string& conninfo, const std::string& args, const std::string& env = "",
                         int timeout_s = 240);

// Path of a checked-in reference file from tests/golden/citus/ (outputs of a real Citus 13 cluster).
std::string reference_path(const std::string& file);

// A fresh temporary directory that is removed at exit of the test process.
std::string temp_dir(const std::string& prefix);

class TestCluster {
 public:
  // Starts `workers` workers plus a coordinator via `pgcluster up` on a free port range.
  explicit TestCluster(int workers = 2);
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // One cluster shared by all tests of a binary, started on first use.
  static TestCluster& shared();

  const std::string& conninfo() const { return conninfo_; }
  const std::string& dir() const { return dir_; }
  int port() const { return port_; }
  std::vector<int> worker_ports() const;
  std::string node_conninfo(int port) const;
  PgConn connect() const { return PgConn::connect(conninfo_, "pgload-test"); }
  PgConn connect_node(int port) const { return PgConn::connect(node_conninfo(port), "pgload-test"); }
  // `pgcluster add-worker`; returns the new worker's port.
  int add_worker();
  // Runs `pgcluster <verb> --dir DIR` and returns its result.
  CommandResult pgcluster(const std::string& verb_and_args) const;

 private:
  std::string dir_;
  std::string conninfo_;
  int port_ = 0;
};

// Writes `rows` rows of bench/gen_users (the seed's payment_users; `gen_args` e.g. "--seed 3") to `path` unless the
// file is there already; returns `path`.
std::string generated_users(const std::string& path, int64_t rows, const std::string& gen_args = "");

// Creates `name` in payment_users' shape (user_id bigint PRIMARY KEY, url, login, avatar_url), distributed by
// user_id and colocated with nothing (dropped first if it exists).
void create_users_table(const PgConn& coordinator, const std::string& name);

// First port of a range of `count` free loopback ports.
int free_port_range(int count);

}  // namespace pgload::test

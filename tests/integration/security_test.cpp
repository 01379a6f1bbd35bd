// Security promises end to end against real PostgreSQL: hostile identifiers are always quoted, passwords and URL
// credentials never reach stdout/stderr/--json/progress, TLS to PostgreSQL follows libpq sslmode on the coordinator
// and on every worker, and HTTPS certificates are verified unless --insecure is given.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wal_nudge.h"

namespace pgload {
namespace {

using test::CommandResult;
using test::pgload_command;
using test::run_command;
using test::run_pgload;
using test::sh;
using test::TestCluster;

// Both secrets start with this, so one search also catches a partly printed secret.
constexpr const char* kSecretStem = "S3cret";
constexpr const char* kPassword = "S3cretPw!";
constexpr const char* kUrlPassword = "S3cretUrl";

// The hostile names of the identifier test.
constexpr const char* kSchema = "we\"ird";
constexpr const char* kTable = "a\"; DROP TABLE x; --";
constexpr const char* kDistColumn = "a\"; DROP TABLE x; --";

// ---- helpers -------------------------------------------------------------------------------------------------

// A shell word: single-quoted, embedded single quotes as '\''.

void spit(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult pgload(const std::string& args, const std::string& env = "") {
  return run_command(env + (env.empty() ? "" : " ") + PGLOAD_BIN + std::string(" ") + args);
}

CommandResult pgmove(const std::string& args, const std::string& env = "") {
  return run_command(env + (env.empty() ? "" : " ") + PGMOVE_BIN + std::string(" ") + args);
}

int64_t count_rows(const PgConn& c, const std::string& qualified) {
  return std::stoll(*c.scalar("SELECT count(*) FROM " + qualified));
}

// Asserts that a command's output (stdout + stderr) carries no secret, and that it ended with `want_exit`.
void expect_clean(const CommandResult& r, int want_exit, const std::string& what) {
  EXPECT_EQ(r.exit_code, want_exit) << what << "\n" << r.output;
  EXPECT_EQ(r.output.find(kSecretStem), std::string::npos) << what << " printed a secret:\n" << r.output;
  EXPECT_EQ(r.output.find(kPassword), std::string::npos) << what;
  EXPECT_EQ(r.output.find(kUrlPassword), std::string::npos) << what;
}

// A child process (argv[0] is a path), stopped with SIGTERM. Its stdout is read up to the first line when asked
// (serve_file prints its port there), otherwise it and stderr go to /dev/null.
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& cwd, bool capture_first_line = false) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
      if (capture_first_line) {
        dup2(out[1], STDOUT_FILENO);
      } else {
        const int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        close(null_fd);
      }
      close(out[0]);
      close(out[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    if (capture_first_line) {
      char c;
      while (::read(out[0], &c, 1) == 1 && c != '\n') first_line_.push_back(c);
    }
    close(out[0]);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  const std::string& first_line() const { return first_line_; }

 private:
  pid_t pid_ = -1;
  std::string first_line_;
};

// serve_file on a free port; the port comes from its first stdout line.
class ServeFile {
 public:
  explicit ServeFile(const std::string& file, std::vector<std::string> extra = {})
      : child_(make_args(file, std::move(extra)), "", true) {
    const std::string prefix = "listening on 127.0.0.1:";
    if (!child_.first_line().starts_with(prefix))
      throw std::runtime_error("serve_file did not start: '" + child_.first_line() + "'");
    port_ = std::stoi(child_.first_line().substr(prefix.size()));
  }
  int port() const { return port_; }

 private:
  static std::vector<std::string> make_args(const std::string& file, std::vector<std::string> extra) {
    std::vector<std::string> args = {SERVE_FILE_BIN, "--file", file};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  Child child_;
  int port_ = 0;
};

bool can_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// A self-signed certificate for IP 127.0.0.1 (CA:TRUE, so it is its own trust anchor): dir/name.crt, dir/name.key.
// The key belongs to the postgres user with mode 0600, as the server requires.
void make_cert(const std::string& dir, const std::string& name) {
  const std::string crt = dir + "/" + name + ".crt", key = dir + "/" + name + ".key";
  auto r = run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj " +
                       sh("/CN=127.0.0.1") + " -addext " + sh("subjectAltName=IP:127.0.0.1") + " -keyout " + sh(key) +
                       " -out " + sh(crt));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const passwd* pg = getpwnam("postgres");
  ASSERT_NE(pg, nullptr) << "no postgres user";
  ASSERT_EQ(chown(key.c_str(), pg->pw_uid, pg->pw_gid), 0);
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  ASSERT_EQ(chmod(crt.c_str(), 0644), 0);
}

// ALTER SYSTEM ssl on/off with the given files on one node, reload, and wait until new sessions see it.
void set_node_ssl(const TestCluster& cluster, int port, bool on, const std::string& crt = "",
                  const std::string& key = "") {
  {
    PgConn c = cluster.connect_node(port);
    if (on) {
      c.run("ALTER SYSTEM SET ssl_cert_file = " + quote_literal(crt));
      c.run("ALTER SYSTEM SET ssl_key_file = " + quote_literal(key));
    }
    c.run(std::string("ALTER SYSTEM SET ssl = ") + (on ? "on" : "off"));
    c.run("SELECT pg_reload_conf()");
  }
  const std::string want = on ? "on" : "off";
  for (int i = 0; i < 100; ++i) {
    PgConn c = cluster.connect_node(port);
    if (*c.scalar("SHOW ssl") == want) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "node " << port << " did not switch ssl " << want << " (see its log in " << cluster.dir() << ")";
}

// ---- 1. identifiers ------------------------------------------------------------------------------------------

TEST(SecurityIdentifiers, HostileSchemaTableAndColumnNamesLoadAndMove) {
  TestCluster& cluster = TestCluster::shared();
  PgConn coord = cluster.connect();
  const std::string qtable = quote_qualified(kSchema, kTable);  // "we""ird"."a""; DROP TABLE x; --"
  ASSERT_EQ(qtable, "\"we\"\"ird\".\"a\"\"; DROP TABLE x; --\"");

  // The sentinel x everywhere the DDL or COPY runs: coordinator and every worker.
  std::vector<int> ports = cluster.worker_ports();
  ASSERT_EQ(ports.size(), 2u);
  coord.run("CREATE TABLE IF NOT EXISTS public.x (keep int); INSERT INTO public.x VALUES (42)");
  for (int p : ports) cluster.connect_node(p).run("CREATE TABLE IF NOT EXISTS public.x (keep int)");

  coord.run("CREATE SCHEMA " + quote_ident(kSchema));
  coord.run("CREATE TABLE " + qtable + " (" + quote_ident(kDistColumn) + " bigint NOT NULL, \"Select\" text)");
  coord.exec("SELECT create_distributed_table($1::regclass, $2)", {qtable, std::string(kDistColumn)});

  // Values that would break naive SQL or COPY building: quotes, commas, injection text, an empty string.
  const std::string dir = test::temp_dir("pgload-sec-ident");
  std::string csv;
  std::vector<std::string> values;
  for (int i = 1; i <= 40; ++i) {
    std::string v = i % 4 == 0   ? "'); DROP TABLE x; --"
                    : i % 4 == 1 ? "he said \"\"hi\"\", then left"
                    : i % 4 == 2 ? "a,b"
                                 : "Select";
    csv += std::to_string(i) + ",\"" + v + "\"\n";
    std::string unescaped;
    for (size_t k = 0; k < v.size(); ++k) {
      unescaped.push_back(v[k]);
      if (v[k] == '"') ++k;  // "" -> "
    }
    values.push_back(unescaped);
  }
  spit(dir + "/rows.csv", csv);

  auto r =
      pgload("--coordinator " + sh(cluster.conninfo()) + " --url " + sh(dir + "/rows.csv") + " --table " + sh(qtable));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count_rows(coord, qtable), 40);

  // The same table chosen by a header line that names the hostile column (CSV-quoted) and "Select".
  spit(dir + "/header.csv", "\"a\"\"; DROP TABLE x; --\",Select\n41,forty-one\n42,forty-two\n");
  r = pgload("--coordinator " + sh(cluster.conninfo()) + " --url " + sh(dir + "/header.csv") + " --header --table " +
             sh(qtable));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // And with --columns naming them.
  spit(dir + "/cols.csv", "forty-three,43\n");
  r = pgload("--coordinator " + sh(cluster.conninfo()) + " --url " + sh(dir + "/cols.csv") + " --columns " +
             sh(std::string("Select,") + kDistColumn) + " --table " + sh(qtable));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count_rows(coord, qtable), 43);

  auto rows = coord.exec("SELECT " + quote_ident(kDistColumn) + ", \"Select\" FROM " + qtable + " ORDER BY 1");
  ASSERT_EQ(rows.rows(), 43);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(rows.i64(i, 0), i + 1);
    EXPECT_EQ(rows.str(i, 1), values[i]) << "row " << i + 1;
  }
  EXPECT_EQ(rows.str(40, 1), "forty-one");
  EXPECT_EQ(rows.str(42, 1), "forty-three");

  // Every shard landed under its exact hostile name on the workers; the sentinels survived everywhere.
  int shard_tables = 0;
  for (int p : ports) {
    PgConn w = cluster.connect_node(p);
    shard_tables += static_cast<int>(
        std::stoll(*w.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = $1 AND c.relname LIKE $2 AND c.relkind = 'r'",
                             {std::string(kSchema), std::string("a\"; DROP TABLE x; --\\_1%")})));
    EXPECT_TRUE(w.scalar("SELECT to_regclass('public.x')")) << "x dropped on worker " << p;
  }
  EXPECT_EQ(shard_tables, 32);
  EXPECT_TRUE(coord.scalar("SELECT to_regclass('public.x')")) << "x dropped on the coordinator";
  EXPECT_EQ(*coord.scalar("SELECT keep FROM public.x"), "42");

  // pgmove reads, plans and moves it.
  r = pgmove("--coordinator " + sh(cluster.conninfo()) + " status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Rebalancing is"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("DROP TABLE x"), std::string::npos) << "status does not list the table:\n" << r.output;
  r = pgmove("--coordinator " + sh(cluster.conninfo()) + " status --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"table_name\":\"\\\"we\\\"\\\"ird\\\".\\\"a\\\"\\\"; DROP TABLE x; --\\\"\""),
            std::string::npos)
      << r.output;
  r = pgmove("--coordinator " + sh(cluster.conninfo()) + " plan");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = pgmove("--coordinator " + sh(cluster.conninfo()) + " plan --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;

  auto shard = coord.exec(
      "SELECT s.shardid, n.nodeport FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) "
      "JOIN pg_dist_node n USING (groupid) WHERE s.logicalrelid = $1::regclass ORDER BY s.shardid LIMIT 1",
      {qtable});
  ASSERT_EQ(shard.rows(), 1);
  const int64_t shard_id = shard.i64(0, 0);
  const int target = shard.i64(0, 1) == ports[0] ? ports[1] : ports[0];
  r = pgmove("--coordinator " + sh(cluster.conninfo()) + " move " + std::to_string(shard_id) +
             " --to 127.0.0.1:" + std::to_string(target) + " --mode block_writes");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*coord.scalar("SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) "
                          "WHERE p.shardid = $1::bigint",
                          {std::to_string(shard_id)}),
            std::to_string(target));
  EXPECT_EQ(count_rows(coord, qtable), 43);
  EXPECT_TRUE(coord.scalar("SELECT to_regclass('public.x')"));
  for (int p : ports) EXPECT_TRUE(cluster.connect_node(p).scalar("SELECT to_regclass('public.x')")) << p;
}

// ---- 2. secrets ----------------------------------------------------------------------------------------------

class SecuritySecrets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestCluster& cluster = TestCluster::shared();
    PgConn c = cluster.connect();
    c.run("CREATE TABLE secret_t (id bigint PRIMARY KEY, v text)");
    c.run("SELECT create_distributed_table('secret_t', 'id')");
    c.run("CREATE TABLE secret_nopk (id bigint NOT NULL, v text)");
    c.run("SELECT create_distributed_table('secret_nopk', 'id')");
    dir_ = new std::string(test::temp_dir("pgload-sec-secrets"));
    std::string csv;
    for (int i = 1; i <= 100; ++i) csv += std::to_string(i) + ",row " + std::to_string(i) + "\n";
    spit(*dir_ + "/rows.csv", csv);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  TestCluster& cluster() { return TestCluster::shared(); }
  // The cluster's conninfo with a password (trust auth ignores it, so it still connects).
  std::string kv() { return cluster().conninfo() + " password=" + kPassword; }
  std::string uri(int port) {
    return "postgresql://postgres:" + std::string(kPassword) + "@127.0.0.1:" + std::to_string(port) + "/postgres";
  }
  // Empties secret_t so every successful load can be counted.
  void reset() { cluster().connect().run("DELETE FROM secret_t"); }
  int64_t loaded() { return count_rows(cluster().connect(), "secret_t"); }

  static std::string* dir_;
};
std::string* SecuritySecrets::dir_ = nullptr;

TEST_F(SecuritySecrets, PasswordInConninfoNeverPrinted) {
  const std::string file = sh(*dir_ + "/rows.csv");
  const int dead = test::free_port_range(1);
  for (const std::string& conn : {kv(), uri(cluster().port())}) {
    SCOPED_TRACE(conn.substr(0, 12));
    reset();
    expect_clean(pgload("--coordinator " + sh(conn) + " --url " + file + " --table secret_t"), 0, "load");
    EXPECT_EQ(loaded(), 100);
    reset();
    auto r = pgload("--coordinator " + sh(conn) + " --url " + file + " --table secret_t --json");
    expect_clean(r, 0, "load --json");
    EXPECT_NE(r.output.find("\"outcome\":\"committed\""), std::string::npos) << r.output;
    EXPECT_EQ(loaded(), 100);
    expect_clean(pgload("--coordinator " + sh(conn) + " --url " + file + " --table no_such_table"), 2, "bad table");
    expect_clean(pgload("--coordinator " + sh(conn) + " --url " + file + " --table no_such_table --json"), 2,
                 "bad table --json");
    expect_clean(pgload("--coordinator " + sh(conn) + " --url " + file + " --table secret_t --columns id,nope"), 2,
                 "bad column");
    expect_clean(pgload("--coordinator " + sh(conn) + " --url /nonexistent/rows.csv --table secret_t --json"), 4,
                 "missing file");
    expect_clean(pgload("recover --coordinator " + sh(conn) + " --json"), 0, "recover");
    expect_clean(pgmove("--coordinator " + sh(conn) + " status"), 0, "pgmove status");
    expect_clean(pgmove("--coordinator " + sh(conn) + " status --json"), 0, "pgmove status --json");
    expect_clean(pgmove("--coordinator " + sh(conn) + " plan --json"), 0, "pgmove plan --json");
    expect_clean(pgmove("--coordinator " + sh(conn) + " rebalance --dry-run"), 0, "pgmove rebalance --dry-run");
    expect_clean(pgmove("--coordinator " + sh(conn) + " move 999999999 --to 127.0.0.1:1"), 2, "pgmove unknown shard");
    expect_clean(pgmove("--coordinator " + sh(conn) + " add-node 127.0.0.1:" + std::to_string(dead)), 3,
                 "pgmove add-node unreachable");
    expect_clean(pgmove("--coordinator " + sh(conn) + " recover"), 0, "pgmove recover");
    // The logs: conninfo strings, failing statements and their endpoints, never the password.
    expect_clean(pgload("--verbose --coordinator " + sh(conn) + " --url " + file + " --table secret_t --dry-run"), 0,
                 "load --verbose");
    expect_clean(pgload("--debug --coordinator " + sh(conn) + " --url " + file + " --table no_such_table"), 2,
                 "bad table --debug");
    expect_clean(pgmove("--debug --coordinator " + sh(conn) + " status"), 0, "pgmove status --debug");
    expect_clean(pgmove("--debug --coordinator " + sh(conn) + " add-node 127.0.0.1:" + std::to_string(dead)), 3,
                 "pgmove add-node unreachable --debug");
  }
  // Coordinator unreachable, both conninfo forms, text and --json.
  for (const std::string& conn :
       {"host=127.0.0.1 port=" + std::to_string(dead) + " dbname=postgres user=postgres password=" + kPassword,
        uri(dead)}) {
    SCOPED_TRACE(conn.substr(0, 12));
    expect_clean(pgload("--coordinator " + sh(conn) + " --url " + file + " --table secret_t"), 3, "dead port");
    auto r = pgload("--coordinator " + sh(conn) + " --url " + file + " --table secret_t --json");
    expect_clean(r, 3, "dead port --json");
    EXPECT_NE(r.output.find("\"exit_code\":3"), std::string::npos) << r.output;
    expect_clean(pgmove("--coordinator " + sh(conn) + " status --json"), 3, "pgmove dead port");
  }
  // Wrong database and a bad option next to the password.
  expect_clean(pgload("--coordinator " + sh(kv() + " dbname=no_such_db") + " --url " + file + " --table secret_t"), 3,
               "bad dbname");
  // A conninfo libpq cannot parse is a usage error, found before connecting.
  expect_clean(pgload("--coordinator " + sh(kv() + " bogus_option=1") + " --url " + file + " --table secret_t"), 2,
               "bad option");
  expect_clean(pgmove("--coordinator " + sh(kv() + " bogus_option=1") + " status"), 2, "pgmove bad option");
  // A password with a space and quotes, quoted as libpq wants it.
  const std::string quoted = cluster().conninfo() + " password='S3cret Pw \\'x'";
  expect_clean(pgload("--coordinator " + sh(quoted) + " --url " + file + " --table no_such_table"), 2,
               "quoted password");
  // A logical move that fails (no primary key): the move's CONNECTION string holds the password.
  expect_clean(pgmove("--coordinator " + sh(kv()) + " move " +
                      *cluster().connect().scalar(
                          "SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'secret_nopk'::regclass") +
                      " --to 127.0.0.1:" + std::to_string(cluster().worker_ports()[0]) + " --mode logical"),
               1, "pgmove failed logical move");
}

// libpq quotes the whole URI in some parse errors; pgmove redacts them, pgload must too.
TEST_F(SecuritySecrets, PasswordInMalformedUriNeverPrinted) {
  const std::string file = sh(*dir_ + "/rows.csv");
  const std::string bad = "postgresql://postgres:" + std::string(kPassword) + "@[127.0.0.1/postgres";
  expect_clean(pgmove("--coordinator " + sh(bad) + " status"), 2, "pgmove malformed URI");
  expect_clean(pgload("--coordinator " + sh(bad) + " --url " + file + " --table secret_t"), 2, "pgload malformed URI");
  expect_clean(pgload("--coordinator " + sh(bad) + " --url " + file + " --table secret_t --json"), 2,
               "pgload malformed URI --json");
  expect_clean(pgload("--debug --coordinator " + sh(bad) + " --url " + file + " --table secret_t"), 2,
               "pgload malformed URI --debug");
}

TEST_F(SecuritySecrets, PgpasswordNeverPrinted) {
  const std::string file = sh(*dir_ + "/rows.csv");
  const std::string env = std::string("PGPASSWORD=") + sh(kPassword);
  const std::string conn = sh(cluster().conninfo());
  reset();
  expect_clean(pgload("--coordinator " + conn + " --url " + file + " --table secret_t --json", env), 0, "load");
  EXPECT_EQ(loaded(), 100);
  expect_clean(pgload("--coordinator " + conn + " --url " + file + " --table no_such_table", env), 2, "bad table");
  expect_clean(pgmove("--coordinator " + conn + " status --json", env), 0, "pgmove status");
  const std::string dead =
      sh("host=127.0.0.1 port=" + std::to_string(test::free_port_range(1)) + " dbname=postgres user=postgres");
  expect_clean(pgload("--coordinator " + dead + " --url " + file + " --table secret_t --json", env), 3, "dead port");
  expect_clean(pgmove("--coordinator " + dead + " status", env), 3, "pgmove dead port");
}

// A logical move with --debug, the password in the conninfo or in PGPASSWORD: it is never printed, and the target's
// pg_subscription never holds it: the subscription's conninfo has none to quote. An event trigger on the target
// records what CREATE SUBSCRIPTION stored (a subscription lives a few milliseconds: polling for it missed it on a
// busy machine). The source writes WAL meanwhile: the move of a shard nobody writes makes no subscription.
TEST_F(SecuritySecrets, LogicalMoveWithDebugNeverPrintsNorStoresPassword) {
  PgConn coord = cluster().connect();
  coord.run("DROP TABLE IF EXISTS secret_lg");
  coord.run("CREATE TABLE secret_lg (id bigint PRIMARY KEY, v text)");
  coord.run("SELECT create_distributed_table('secret_lg', 'id', colocate_with := 'none')");  // a unit of its own
  coord.run("INSERT INTO secret_lg SELECT g, 'v' || g FROM generate_series(1, 1000) g");
  const std::string shard =
      *coord.scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'secret_lg'::regclass");
  for (const std::string& env : {std::string(), std::string("PGPASSWORD=") + sh(kPassword)}) {
    SCOPED_TRACE(env.empty() ? "conninfo" : "PGPASSWORD");
    const std::string conn = env.empty() ? kv() : cluster().conninfo();
    const int from = std::stoi(*coord.scalar(
        "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $1::bigint",
        {shard}));
    const int to = from == cluster().worker_ports()[0] ? cluster().worker_ports()[1] : cluster().worker_ports()[0];
    PgConn t = cluster().connect_node(to);
    t.run("DROP EVENT TRIGGER IF EXISTS secret_seen_sub");
    t.run("DROP TABLE IF EXISTS secret_seen");
    t.run("CREATE TABLE secret_seen (conninfo text)");
    t.run(
        "CREATE OR REPLACE FUNCTION secret_seen_sub() RETURNS event_trigger LANGUAGE plpgsql AS "
        "$$BEGIN INSERT INTO secret_seen SELECT subconninfo FROM pg_subscription; END$$");
    t.run(
        "CREATE EVENT TRIGGER secret_seen_sub ON ddl_command_end WHEN TAG IN ('CREATE SUBSCRIPTION') "
        "EXECUTE FUNCTION secret_seen_sub()");
    std::optional<test::WalNudge> nudge(std::in_place, std::vector<std::string>{cluster().node_conninfo(from)});
    auto r = pgmove("--debug --coordinator " + sh(conn) + " move " + shard + " --to 127.0.0.1:" + std::to_string(to) +
                        " --mode logical",
                    env);
    nudge.reset();
    const std::string stored = t.scalar("SELECT string_agg(conninfo, ' | ') FROM secret_seen").value_or("");
    t.run("DROP EVENT TRIGGER secret_seen_sub");
    t.run("DROP FUNCTION secret_seen_sub()");
    t.run("DROP TABLE secret_seen");
    expect_clean(r, 0, "pgmove --debug move --mode logical");
    EXPECT_NE(stored, "") << "the subscription was never seen";
    EXPECT_EQ(stored.find(kSecretStem), std::string::npos) << stored;
    EXPECT_EQ(stored.find("password"), std::string::npos) << stored;
  }
  EXPECT_EQ(count_rows(coord, "secret_lg"), 1000);
  coord.run("DROP TABLE secret_lg");
}

// A worker that is down: the worker conninfo (built from the coordinator's, password included) must not leak.
TEST_F(SecuritySecrets, UnreachableWorkerNeverPrintsPassword) {
  const std::string file = sh(*dir_ + "/rows.csv");
  std::vector<int> ports = cluster().worker_ports();
  ASSERT_GE(ports.size(), 2u);
  reset();
  // worker2 of pgcluster's layout is the second worker; stop it, and bring it back whatever happens.
  const std::string data = cluster().dir() + "/worker2";
  ASSERT_TRUE(std::filesystem::exists(data + "/postgresql.conf")) << data;
  auto stop =
      run_command("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D " + sh(data) + " -m fast -w stop");
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  struct Restart {
    TestCluster& c;
    ~Restart() { (void)c.pgcluster("up"); }
  } restart{cluster()};
  ASSERT_FALSE(can_connect(ports[1]));

  const std::string env = std::string("PGPASSWORD=") + sh(kPassword);
  for (const std::string& conn : {kv(), uri(cluster().port())}) {
    SCOPED_TRACE(conn.substr(0, 12));
    auto r = pgload("--coordinator " + sh(conn) + " --url " + file + " --table secret_t");
    expect_clean(r, 3, "worker down");
    EXPECT_NE(r.output.find(std::to_string(ports[1])), std::string::npos) << "names the worker:\n" << r.output;
    expect_clean(pgload("--coordinator " + sh(conn) + " --url " + file + " --table secret_t --json"), 3,
                 "worker down --json");
    expect_clean(pgmove("--coordinator " + sh(conn) + " status"), 3, "pgmove status, worker down");
    expect_clean(pgmove("--coordinator " + sh(conn) + " status --json"), 3, "pgmove status --json, worker down");
    expect_clean(pgmove("--coordinator " + sh(conn) + " rebalance"), 3, "pgmove rebalance, worker down");
  }
  expect_clean(pgload("--coordinator " + sh(cluster().conninfo()) + " --url " + file + " --table secret_t", env), 3,
               "worker down, PGPASSWORD");
  auto up = cluster().pgcluster("up");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_EQ(loaded(), 0);  // counted through the coordinator, which needs both workers
}

TEST_F(SecuritySecrets, UrlCredentialsNeverPrinted) {
  const std::string conn = sh(kv());
  auto creds = [](int port, const std::string& path) {
    return "http://loader:" + std::string(kUrlPassword) + "@127.0.0.1:" + std::to_string(port) + path;
  };
  {
    ServeFile server(*dir_ + "/rows.csv");
    reset();
    auto r = pgload("--coordinator " + conn + " --url " + sh(creds(server.port(), "/rows.csv")) +
                    " --table secret_t --json");
    expect_clean(r, 0, "http load with credentials");
    EXPECT_EQ(loaded(), 100);
    // Through a redirect, and into a bad table.
    reset();
    expect_clean(pgload("--coordinator " + conn + " --url " + sh(creds(server.port(), "/redirect/rows.csv")) +
                        " --table secret_t"),
                 0, "http redirect with credentials");
    EXPECT_EQ(loaded(), 100);
    reset();
    expect_clean(pgload("--coordinator " + conn + " --url " + sh(creds(server.port(), "/rows.csv")) +
                        " --table no_such_table --json"),
                 2, "http with credentials, bad table");
    // Bad rows: the error quotes input, not the URL.
    expect_clean(pgload("--coordinator " + conn + " --url " + sh(creds(server.port(), "/rows.csv")) +
                        " --table secret_t --columns v,id"),
                 1, "http with credentials, bad rows");
  }
  {
    ServeFile server(*dir_ + "/rows.csv", {"--status", "404"});
    for (const char* json : {"", " --json"}) {
      auto r = pgload("--coordinator " + conn + " --url " + sh(creds(server.port(), "/rows.csv")) +
                      " --table secret_t" + json);
      expect_clean(r, 4, std::string("http 404") + json);
      EXPECT_NE(r.output.find("404"), std::string::npos) << r.output;
      EXPECT_NE(r.output.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos)
          << "the redacted URL still names the server:\n"
          << r.output;
    }
  }
  {
    ServeFile server(*dir_ + "/rows.csv", {"--cut-after", "100", "--no-range"});
    expect_clean(pgload("--coordinator " + conn + " --url " + sh(creds(server.port(), "/rows.csv")) +
                        " --table secret_t --json"),
                 4, "http drop without Range");
  }
  const int dead = test::free_port_range(1);
  expect_clean(pgload("--coordinator " + conn + " --url " + sh(creds(dead, "/rows.csv")) + " --table secret_t"), 4,
               "http refused");
  expect_clean(
      pgload("--coordinator " + conn + " --url " +
             sh("https://loader:" + std::string(kUrlPassword) + "@127.0.0.1:" + std::to_string(dead) + "/rows.csv.gz") +
             " --table secret_t --json"),
      4, "https refused");
  EXPECT_EQ(loaded(), 0);
}

// The progress bar (only on a TTY: `script` provides one) never shows the URL's credentials.
TEST_F(SecuritySecrets, ProgressOnTtyNeverPrintsSecrets) {
  if (run_command("command -v script").exit_code != 0) GTEST_SKIP() << "no script(1) to provide a TTY";
  PgConn c = cluster().connect();
  c.run("CREATE TABLE secret_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  c.run("SELECT create_distributed_table('secret_users', 'user_id')");
  const std::string users = *dir_ + "/users.csv";
  auto g = run_command(std::string(GEN_USERS_BIN) + " --rows 200000 --out " + sh(users));
  ASSERT_EQ(g.exit_code, 0) << g.output;
  ServeFile server(users);
  const std::string url =
      "http://loader:" + std::string(kUrlPassword) + "@127.0.0.1:" + std::to_string(server.port()) + "/users.csv";
  const std::string inner = pgload_command(kv(), "--url " + sh(url) + " --table secret_users");
  auto r = run_command("script -qec " + sh(inner) + " /dev/null");
  expect_clean(r, 0, "load on a TTY");
  EXPECT_NE(r.output.find("\r["), std::string::npos) << "no progress bar was drawn:\n" << r.output;
  EXPECT_NE(r.output.find("ETA"), std::string::npos) << r.output;
  EXPECT_EQ(count_rows(c, "secret_users"), 200000);
}

// ---- 3. TLS to PostgreSQL ------------------------------------------------------------------------------------

TEST(SecurityTls, PostgresTlsFollowsSslmodeOnCoordinatorAndWorkers) {
  TestCluster cluster(2);
  const std::vector<int> ports = cluster.worker_ports();
  ASSERT_EQ(ports.size(), 2u);
  PgConn coord = cluster.connect();
  coord.run("CREATE TABLE tls_t (id bigint PRIMARY KEY, v text)");
  coord.run("SELECT create_distributed_table('tls_t', 'id')");
  const std::string dir = test::temp_dir("pgload-sec-tls");
  std::string csv;
  for (int i = 1; i <= 50; ++i) csv += std::to_string(i) + ",v" + std::to_string(i) + "\n";
  spit(dir + "/rows.csv", csv);
  const std::string file = sh(dir + "/rows.csv");
  auto load = [&](const std::string& ssl) {
    return pgload("--coordinator " + sh(cluster.conninfo() + " " + ssl) + " --url " + file + " --table tls_t");
  };
  auto rows = [&] { return count_rows(cluster.connect(), "tls_t"); };

  // No TLS anywhere yet: require fails clearly.
  auto r = load("sslmode=require");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("SSL"), std::string::npos) << r.output;
  EXPECT_EQ(rows(), 0);

  // Certificates: A for the coordinator and worker 1, B for worker 2, C for nobody. bundle = A + B.
  make_cert(dir, "a");
  make_cert(dir, "b");
  make_cert(dir, "c");
  if (HasFatalFailure()) return;
  spit(dir + "/bundle.crt", slurp(dir + "/a.crt") + slurp(dir + "/b.crt"));

  // TLS on the coordinator only: require must hold for the workers too, so the load fails at a worker.
  set_node_ssl(cluster, cluster.port(), true, dir + "/a.crt", dir + "/a.key");
  if (HasFatalFailure()) return;
  r = load("sslmode=require");
  EXPECT_EQ(r.exit_code, 3) << "sslmode=require was not applied to the workers:\n" << r.output;
  EXPECT_NE(r.output.find("SSL"), std::string::npos) << r.output;
  EXPECT_EQ(rows(), 0);
  // The same cluster without require loads (prefer: TLS to the coordinator, plain to the workers).
  r = load("sslmode=prefer");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows(), 50);
  cluster.connect().run("DELETE FROM tls_t");

  set_node_ssl(cluster, ports[0], true, dir + "/a.crt", dir + "/a.key");
  set_node_ssl(cluster, ports[1], true, dir + "/b.crt", dir + "/b.key");
  if (HasFatalFailure()) return;

  r = load("sslmode=require");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows(), 50);
  cluster.connect().run("DELETE FROM tls_t");

  r = load("sslmode=verify-full sslrootcert=" + dir + "/bundle.crt");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows(), 50);
  cluster.connect().run("DELETE FROM tls_t");

  // Trusting only A: the coordinator and worker 1 verify, worker 2 must not.
  r = load("sslmode=verify-full sslrootcert=" + dir + "/a.crt");
  EXPECT_EQ(r.exit_code, 3) << "worker 2's certificate was not verified:\n" << r.output;
  EXPECT_NE(r.output.find("certificate"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(std::to_string(ports[1])), std::string::npos) << "names worker 2:\n" << r.output;
  EXPECT_EQ(rows(), 0);
  auto m = pgmove("--coordinator " + sh(cluster.conninfo() + " sslmode=verify-full sslrootcert=" + dir + "/a.crt") +
                  " status");
  EXPECT_EQ(m.exit_code, 3) << "pgmove did not verify worker 2:\n" << m.output;
  EXPECT_NE(m.output.find("certificate"), std::string::npos) << m.output;

  // Trusting an unrelated certificate: the coordinator itself fails verification.
  r = load("sslmode=verify-ca sslrootcert=" + dir + "/c.crt");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("certificate"), std::string::npos) << r.output;
  EXPECT_EQ(rows(), 0);

  // Same through the environment (PGSSLMODE / PGSSLROOTCERT) instead of the conninfo.
  r = run_pgload(cluster.conninfo(), "--url " + file + " --table tls_t",
                 "PGSSLMODE=verify-full PGSSLROOTCERT=" + sh(dir + "/a.crt"));
  EXPECT_EQ(r.exit_code, 3) << "PGSSLMODE was not applied to the workers:\n" << r.output;
  EXPECT_EQ(rows(), 0);
}

// ---- 4. HTTPS ------------------------------------------------------------------------------------------------

TEST(SecurityHttps, CertificatesVerifiedUnlessInsecure) {
  if (run_command("command -v openssl").exit_code != 0) GTEST_SKIP() << "no openssl CLI";
  TestCluster& cluster = TestCluster::shared();
  PgConn coord = cluster.connect();
  coord.run("CREATE TABLE https_t (id bigint PRIMARY KEY, v text)");
  coord.run("SELECT create_distributed_table('https_t', 'id')");
  const std::string dir = test::temp_dir("pgload-sec-https");
  make_cert(dir, "server");
  if (HasFatalFailure()) return;
  std::string csv;
  for (int i = 1; i <= 25; ++i) csv += std::to_string(i) + ",https " + std::to_string(i) + "\n";
  spit(dir + "/users.csv", csv);

  const int port = test::free_port_range(1);
  std::string openssl = run_command("command -v openssl").output;
  openssl.erase(openssl.find_last_not_of("\n") + 1);
  // s_server -WWW serves files from its working directory.
  Child server({openssl, "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert", dir + "/server.crt",
                "-key", dir + "/server.key", "-WWW", "-quiet"},
               dir);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = can_connect(port);
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << "openssl s_server did not start on " << port;
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/users.csv";
  const std::string base = "--coordinator " + sh(cluster.conninfo()) + " --table https_t --url ";

  auto r = pgload(base + sh(url));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("certificate"), std::string::npos) << r.output;
  EXPECT_EQ(count_rows(coord, "https_t"), 0);

  r = pgload(base + sh(url) + " --json");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("\"exit_code\":4"), std::string::npos) << r.output;
  EXPECT_EQ(count_rows(coord, "https_t"), 0);

  // Credentials in an https URL that fails verification stay hidden too.
  r = pgload(base +
             sh("https://loader:" + std::string(kUrlPassword) + "@127.0.0.1:" + std::to_string(port) + "/users.csv"));
  expect_clean(r, 4, "https with credentials, self-signed");
  EXPECT_EQ(count_rows(coord, "https_t"), 0);

  r = pgload(base + sh(url) + " --insecure");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("certificate"), std::string::npos) << r.output;
  EXPECT_EQ(count_rows(coord, "https_t"), 25);
}

}  // namespace
}  // namespace pgload

// write_pause: a steady writer for bench/run. One INSERT through the coordinator every --interval-ms into
// --table (ids counting up from --first-id), until SIGTERM/SIGINT; then prints the longest write pause as one JSON
// line. A write's pause is the time from its start until it is acknowledged, failed attempts retried (a write that hit
// a move's switch may fail once), so a blocked write counts for as long as it waited.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "common/pg.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int usage() {
  std::fprintf(stderr,
               "usage: write_pause --coordinator CONNINFO --table T --first-id N [--interval-ms 10] "
               "[--sql 'INSERT ... $1'] (stop it with SIGTERM)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string conninfo, table, sql;
  int64_t first_id = 0, interval_ms = 10;
  bool have_first_id = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--coordinator")
      conninfo = v;
    else if (k == "--table")
      table = v;
    else if (k == "--first-id") {
      first_id = std::strtoll(v.c_str(), nullptr, 10);
      have_first_id = true;
    } else if (k == "--interval-ms")
      interval_ms = std::strtoll(v.c_str(), nullptr, 10);
    else if (k == "--sql")
      sql = v;
    else
      return usage();
  }
  if (table.empty() || !have_first_id || interval_ms < 1) return usage();
  // The bench's users table by default: one row per write, its id the only parameter.
  if (sql.empty())
    sql = "INSERT INTO " + table + " (user_id, url, login, avatar_url) VALUES ($1::bigint, 'w', 'w', 'w')";
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  using Clock = std::chrono::steady_clock;
  try {
    pgload::PgConn c = pgload::PgConn::connect(conninfo, "write_pause");
    int64_t id = first_id, writes = 0, failed_attempts = 0;
    double max_pause_ms = 0;
    auto next = Clock::now();
    while (!g_stop) {
      const auto start = Clock::now();
      for (;;) {
        try {
          c.exec(sql, {std::to_string(id)});
          break;
        } catch (const pgload::PgError&) {
          ++failed_attempts;  // e.g. the write hit the dropped source shard right at a switch: retry it
          if (g_stop) break;
          if (!c || PQstatus(c.raw()) != CONNECTION_OK) c = pgload::PgConn::connect(conninfo, "write_pause");
        }
      }
      const double pause_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (pause_ms > max_pause_ms) max_pause_ms = pause_ms;
      ++writes;
      ++id;
      next += std::chrono::milliseconds(interval_ms);
      if (next < Clock::now()) next = Clock::now();  // a blocked write does not cause a burst of catch-up writes
      std::this_thread::sleep_until(next);
    }
    std::printf("{\"max_write_pause_ms\":%.1f,\"writes\":%lld,\"failed_attempts\":%lld}\n", max_pause_ms,
                static_cast<long long>(writes), static_cast<long long>(failed_attempts));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "write_pause: %s\n", e.what());
    return 1;
  }
  return 0;
}

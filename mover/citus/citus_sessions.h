// Sessions kept open between the moves of one run. On Citus a new backend costs more than the startup: its first
// statements build Citus's per-backend metadata cache, and a move talks to every metadata worker, so reusing idle
// sessions saves a large share of a small shard's move time.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/pg.h"

namespace pgload {

// A session on a Citus worker that works on shard tables as Citus's own sessions do: shards visible in pg_class
// (read_shard_ddl reads it), manual changes to shards allowed, and no DDL propagation from the worker.
PgConn connect_citus_worker(const std::string& conninfo, const std::string& application_name);

class SessionPool {
 public:
  // An idle session for `key` (which names node and role), or a new one from `make`.
  PgConn take(const std::string& key, const std::function<PgConn()>& make);
  // Keeps `conn` for the next take(key) if it is healthy and outside a transaction; otherwise closes it.
  void give(const std::string& key, PgConn conn);

 private:
  std::mutex mu_;
  std::multimap<std::string, PgConn> idle_;
};

}  // namespace pgload

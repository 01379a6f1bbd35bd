// Sessions kept open between the moves of one run, so that a move does not pay for new backends (and, on Citus,
// for their first statements building Citus's per-backend metadata cache) when the last move's are idle.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/pg.h"

namespace pgload {

class SessionPool {
 public:
  // An idle session for `key` (which names node and role), or a new one from `make`.
  PgConn take(const std::string& key, const std::function<PgConn()>& make);
  // Keeps `conn` for the next take(key) if it is healthy and outside a transaction; otherwise closes it.
  void give(const std::string& key, PgConn conn);
  // A replication connection (replication=database) to the node `endpoint` reached with `conninfo`, and back: the
  // one that made a move's slot serves the next move from the same node, which then opens no walsender of its own.
  PgConn take_replication(const std::string& endpoint, const std::string& conninfo);
  void give_replication(const std::string& endpoint, PgConn conn);

 private:
  std::mutex mu_;
  std::multimap<std::string, PgConn> idle_;
};

}  // namespace pgload

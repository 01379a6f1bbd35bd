// How pgmove's sessions on Citus workers are opened; they are kept between moves in the run's SessionPool
// (mover/move/session_pool.h).
#pragma once

#include <string>

#include "common/pg.h"
#include "mover/move/session_pool.h"

namespace pgload {

// A session on a Citus worker that works on shard tables as Citus's own sessions do: shards visible in pg_class
// (read_shard_ddl reads it), manual changes to shards allowed, and no DDL propagation from the worker.
PgConn connect_citus_worker(const std::string& conninfo, const std::string& application_name);

}  // namespace pgload

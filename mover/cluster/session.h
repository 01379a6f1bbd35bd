// A pgmove session: the coordinator connection and the catalog read through it, with the --node-conninfo
// overrides applied. Shared by the one-shot commands and the `pgmove ui` server.
#pragma once

#include "common/catalog.h"
#include "common/connection_options.h"
#include "common/pg.h"

namespace pgload {

// The catalog borrows `coordinator` (Catalog::load), so a session is built in place and never moved.
struct Session {
  explicit Session(const ConnectionOptions& o);
  Session(Session&&) = delete;
  PgConn coordinator;
  Catalog catalog;
};

}  // namespace pgload

// Each source is asked once, before the run: pg_stat_get_wal_senders() lists every walsender to any role (the
// details need pg_read_all_stats, the rows do not), pg_replication_slots every slot.
#include "mover/move/wal_senders.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <stdexcept>

#include "common/pg.h"

namespace pgload {

std::map<std::string, int> logical_moves_per_source(const Catalog& catalog, const std::vector<MoveUnit>& units,
                                                    int parallel) {
  std::map<std::string, int> from_source;  // units per source
  std::map<std::string, const Node*> nodes;
  for (const auto& u : units) {
    ++from_source[u.source.endpoint()];
    nodes[u.source.endpoint()] = &u.source;
  }
  std::map<std::string, int> at_once;
  for (const auto& [endpoint, count] : from_source) {
    PgConn c = PgConn::connect(catalog.node_conninfo(*nodes[endpoint]), "pgmove");
    auto r = c.exec(
        "SELECT current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_get_wal_senders())::int, "
        "current_setting('max_wal_senders')::int, "
        "current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int, "
        "current_setting('max_replication_slots')::int");
    const int64_t senders_free = r.i64(0, 0), slots_free = r.i64(0, 2);
    const int n = static_cast<int>(std::max<int64_t>(0, std::min(senders_free / 2, slots_free)));
    const std::string has = std::to_string(senders_free) + " of max_wal_senders = " + r.str(0, 1) + " and " +
                            std::to_string(slots_free) + " of max_replication_slots = " + r.str(0, 3) + " free";
    if (n == 0)
      throw std::runtime_error("source " + endpoint + " has " + has +
                               ": a logical move needs 2 WAL senders and 1 slot there; raise them (a restart of "
                               "that node) or use --mode block_writes; nothing was moved");
    if (n < std::min(parallel, count))
      std::cerr << "pgmove: note: source " << endpoint << " has " << has << ": at most " << n
                << " logical move(s) from it at a time\n";
    at_once[endpoint] = n;
  }
  return at_once;
}

}  // namespace pgload

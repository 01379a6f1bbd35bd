// The Citus catalog as both backends expose it: real Citus (pg_catalog.pg_dist_* of the citus extension) and the
// local cluster (the same tables made by cluster/catalog.sql). One set of queries serves both.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/pg.h"
#include "common/pg_input.h"
#include "common/shard_name.h"

namespace pgload {

enum class Backend { Local, Citus };
const char* backend_name(Backend b) noexcept;
// Parses "local" / "citus"; nullopt for anything else.
std::optional<Backend> parse_backend(std::string_view s) noexcept;

struct Node {
  int32_t node_id = 0;
  int32_t group_id = 0;
  std::string host;
  int32_t port = 0;
  bool is_active = true;
  bool should_have_shards = true;
  std::string role;  // noderole: primary / secondary / unavailable
  std::string endpoint() const { return host + ":" + std::to_string(port); }
  bool is_coordinator() const { return group_id == 0; }
};

struct Column {
  std::string name;
  int attnum = 0;
  uint32_t type_oid = 0;
  int32_t typmod = -1;
  std::string type_sql;  // format_type(), e.g. "character varying(20)"
  bool not_null = false;
  // What fills the column when a load leaves it out: its DEFAULT expression (pg_get_expr), or for an identity
  // column nextval of its sequence; empty when none. A generated column has none: the shards compute it.
  std::string default_expr;
  bool generated = false;
  // The type as values are parsed and sent (ColumnType): a domain followed down to its non-domain base (with the
  // typmod of the domain over it), that base's element when it is an array read by array_in/array_recv, and the
  // labels when the base is an enum.
  uint32_t base_type_oid = 0;
  int32_t base_typmod = -1;
  uint32_t element_oid = 0;
  std::shared_ptr<const PgEnum> enum_type;
  // The column's own type is an enum (not a domain over one).
  bool is_enum() const noexcept { return enum_type && base_type_oid == type_oid; }
  // base_type_oid 0: not resolved (a Column built by hand), the column's own type.
  ColumnType value_type() const noexcept {
    if (base_type_oid == 0) return column_type_for(type_oid, typmod);
    return column_type_for(base_type_oid, base_typmod, element_oid, enum_type.get());
  }
};

struct Shard {
  int64_t shard_id = 0;
  std::optional<int32_t> min_value, max_value;  // NULL for reference tables
  std::vector<int32_t> groups;                  // groups holding an active placement (shardstate 1)
};

struct Table {
  uint32_t oid = 0;
  std::string schema, name;
  char method = 'h';    // partmethod: 'h' hash, 'n' none (reference), 'a'/'r' legacy
  char repmodel = 's';  // 's' streaming, 't' two-phase (reference), 'c' coordinator
  int32_t colocation_id = 0;
  std::string dist_column;     // empty for reference tables
  int dist_column_index = -1;  // index into columns
  std::vector<Column> columns;
  std::vector<Shard> shards;  // hash tables: ordered by min_value; otherwise by shard id
  // The coordinator session's TimeZone setting: how a timestamptz without an offset is read (the worker COPY
  // sessions are set to the same value).
  std::string time_zone;

  bool is_reference() const { return method == 'n'; }
  std::string qualified() const { return quote_qualified(schema, name); }
  // Citus names a shard `<table>_<shardid>` in the table's schema (shortened with a hash when too long).
  std::string shard_name(int64_t shard_id) const { return citus_shard_name(name, shard_id); }
  std::string shard_relation(int64_t shard_id) const { return quote_qualified(schema, shard_name(shard_id)); }
};

class Catalog {
 public:
  // Reads nodes from the coordinator; the backend is detected unless forced. This overload shares the caller's
  // session (its queries run there), which must outlive the catalog.
  static Catalog load(const PgConn& coordinator, std::optional<Backend> forced = std::nullopt);
  // The same, with the catalog owning the session.
  static Catalog load(PgConn&& coordinator, std::optional<Backend> forced = std::nullopt);
  // Which backend the coordinator is: citus in pg_extension, else the local catalog; throws if neither.
  static Backend detect(const PgConn& coordinator);

  Backend backend() const noexcept { return backend_; }
  const PgConn& coordinator() const noexcept;
  const std::vector<Node>& nodes() const noexcept { return nodes_; }
  // Active primary workers (group <> 0 on the coordinator's row is allowed if it holds shards).
  const Node* node_for_group(int32_t group_id) const noexcept;
  const Node* find_node(std::string_view host, int32_t port) const noexcept;
  // A distributed or reference table by (optionally schema-qualified) name; throws a clear error when unknown
  // or not distributed.
  Table table(std::string_view name) const;
  std::vector<Table> tables() const;
  // Connection string for a node: the coordinator's effective settings (user, password, dbname, sslmode ...)
  // with that node's host and port. Never print it: it may hold a password.
  std::string node_conninfo(const Node& node) const;
  // Re-reads nodes (after add/drain).
  void reload_nodes();
  // Per-node override of node_conninfo(), from `--node-conninfo host:port=CONNINFO` (e.g. a worker reached
  // through another address or with other credentials than the coordinator's).
  void set_node_conninfo(const std::string& endpoint, const std::string& conninfo) { overrides_[endpoint] = conninfo; }

 private:
  Table load_table(uint32_t oid) const;
  void resolve_value_types(uint32_t oid, std::vector<Column>& columns) const;
  std::unique_ptr<PgConn> owned_;  // on the heap so that coordinator_ survives moving the catalog
  const PgConn* coordinator_ = nullptr;
  Backend backend_ = Backend::Local;
  std::vector<Node> nodes_;
  std::map<std::string, std::string> overrides_;
};

// Splits "host:port=CONNINFO" (or "[v6]:port=CONNINFO") into {Node::endpoint() form, CONNINFO}; throws
// std::invalid_argument when malformed.
std::pair<std::string, std::string> parse_node_conninfo(std::string_view option);

// Removes password=... from a conninfo string or URI so it can be printed.
std::string redact_conninfo(std::string_view conninfo);

}  // namespace pgload

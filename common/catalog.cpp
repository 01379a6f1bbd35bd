// Catalog queries shared by both backends; Citus-specific bits are only the detection.
#include "common/catalog.h"

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>

#include "common/conninfo.h"
#include "common/endpoint.h"

namespace pgload {

const char* backend_name(Backend b) noexcept { return b == Backend::Citus ? "citus" : "local"; }

std::optional<Backend> parse_backend(std::string_view s) noexcept {
  if (s == "citus") return Backend::Citus;
  if (s == "local") return Backend::Local;
  return std::nullopt;
}

Backend Catalog::detect(const PgConn& c) {
  auto r = c.exec(
      "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus'),"
      "       to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL");
  if (r.boolean(0, 0)) return Backend::Citus;
  if (r.boolean(0, 1)) return Backend::Local;
  throw PgError(
      "coordinator has neither the citus extension (pg_extension) nor a local cluster catalog "
      "(pg_catalog.pg_dist_partition); is this the coordinator? (create one with `pgcluster up`)",
      "", c.endpoint(), "", false);
}

Catalog Catalog::load(const PgConn& coordinator, std::optional<Backend> forced) {
  Catalog cat;
  cat.coordinator_ = &coordinator;
  cat.backend_ = forced ? *forced : detect(coordinator);
  cat.reload_nodes();
  return cat;
}

Catalog Catalog::load(PgConn&& coordinator, std::optional<Backend> forced) {
  auto owned = std::make_unique<PgConn>(std::move(coordinator));
  Catalog cat = load(*owned, forced);
  cat.owned_ = std::move(owned);
  return cat;
}

const PgConn& Catalog::coordinator() const noexcept {
  static const PgConn none;  // a default-constructed catalog has no session
  return coordinator_ ? *coordinator_ : none;
}

void Catalog::reload_nodes() {
  auto r = coordinator_->exec(
      "SELECT nodeid, groupid, nodename, nodeport, isactive, shouldhaveshards, noderole::text "
      "FROM pg_dist_node ORDER BY nodeid");
  nodes_.clear();
  for (int i = 0; i < r.rows(); ++i) {
    Node n;
    n.node_id = static_cast<int32_t>(r.i64(i, 0));
    n.group_id = static_cast<int32_t>(r.i64(i, 1));
    n.host = r.str(i, 2);
    n.port = static_cast<int32_t>(r.i64(i, 3));
    n.is_active = r.boolean(i, 4);
    n.should_have_shards = r.boolean(i, 5);
    n.role = r.str(i, 6);
    nodes_.push_back(std::move(n));
  }
}

const Node* Catalog::node_for_group(int32_t group_id) const noexcept {
  for (const auto& n : nodes_)
    if (n.group_id == group_id && n.role == "primary" && n.is_active) return &n;
  return nullptr;
}

const Node* Catalog::find_node(std::string_view host, int32_t port) const noexcept {
  for (const auto& n : nodes_)
    if (n.host == host && n.port == port) return &n;
  return nullptr;
}

Table Catalog::table(std::string_view name) const {
  auto oid = coordinator_->scalar("SELECT to_regclass($1)::oid", {std::string(name)});
  if (!oid)
    throw PgError("table \"" + std::string(name) + "\" does not exist", "42P01", coordinator_->endpoint(), "", false);
  auto dist = coordinator_->scalar("SELECT 1 FROM pg_dist_partition WHERE logicalrelid = $1::oid::regclass", {*oid});
  if (!dist)
    throw PgError("table \"" + std::string(name) +
                      "\" is not distributed (no row in pg_dist_partition); run create_distributed_table() first",
                  "42P01", coordinator_->endpoint(), "", false);
  return load_table(static_cast<uint32_t>(std::stoul(*oid)));
}

std::vector<Table> Catalog::tables() const {
  auto r =
      coordinator_->exec("SELECT logicalrelid::oid FROM pg_dist_partition ORDER BY colocationid, logicalrelid::oid");
  std::vector<Table> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(load_table(static_cast<uint32_t>(r.i64(i, 0))));
  return out;
}

// Each column's value type (Column::base_type_oid ...): domains followed down to their base, as the server's
// getBaseTypeAndTypmod does (the typmod is that of the domain right over the base), then the base's element when
// the base is an array that array_in reads and array_recv receives, then the labels of an enum base.
void Catalog::resolve_value_types(uint32_t oid, std::vector<Column>& columns) const {
  auto r = coordinator_->exec(
      "WITH RECURSIVE chain(attnum, oid, typmod) AS ("
      "  SELECT a.attnum, a.atttypid, a.atttypmod FROM pg_attribute a "
      "  WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
      "  UNION ALL "
      "  SELECT c.attnum, ty.typbasetype, ty.typtypmod FROM chain c JOIN pg_type ty ON ty.oid = c.oid "
      "  WHERE ty.typtype = 'd') "
      "SELECT c.attnum, c.oid, c.typmod, "
      "       CASE WHEN b.typinput = 'array_in'::regproc AND b.typreceive = 'array_recv'::regproc "
      "            THEN b.typelem ELSE 0 END, "
      "       CASE WHEN b.typtype = 'e' THEN b.oid END "
      "FROM chain c JOIN pg_type b ON b.oid = c.oid WHERE b.typtype <> 'd'",
      {std::to_string(oid)});
  std::map<uint32_t, std::shared_ptr<const PgEnum>> enums;
  for (int i = 0; i < r.rows(); ++i) {
    const int attnum = static_cast<int>(r.i64(i, 0));
    auto col = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.attnum == attnum; });
    if (col == columns.end()) continue;
    col->base_type_oid = static_cast<uint32_t>(r.i64(i, 1));
    col->base_typmod = static_cast<int32_t>(r.i64(i, 2));
    col->element_oid = static_cast<uint32_t>(r.i64(i, 3));
    if (r.is_null(i, 4)) continue;
    const auto enum_oid = static_cast<uint32_t>(r.i64(i, 4));
    auto& e = enums[enum_oid];
    if (!e) {
      auto labels = coordinator_->exec(
          "SELECT format_type($1::oid, NULL), e.enumlabel, e.oid FROM pg_enum e WHERE e.enumtypid = $1::oid",
          {std::to_string(enum_oid)});
      std::vector<EnumLabel> names;
      for (int k = 0; k < labels.rows(); ++k)
        names.push_back({labels.str(k, 1), static_cast<uint32_t>(labels.i64(k, 2))});
      std::string type_name =
          labels.rows() > 0
              ? labels.str(0, 0)
              : coordinator_->exec("SELECT format_type($1::oid, NULL)", {std::to_string(enum_oid)}).str(0, 0);
      e = std::make_shared<const PgEnum>(std::move(type_name), std::move(names));
    }
    col->enum_type = e;
  }
}

Table Catalog::load_table(uint32_t oid) const {
  const std::string soid = std::to_string(oid);
  Table t;
  t.oid = oid;
  auto r = coordinator_->exec(
      "SELECT n.nspname, c.relname, p.partmethod, p.repmodel, p.colocationid, "
      "       CASE WHEN p.partkey IS NULL THEN NULL ELSE column_to_column_name(p.logicalrelid, p.partkey) END "
      "FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.logicalrelid = $1::oid::regclass",
      {soid});
  if (r.rows() != 1)
    throw PgError("table oid " + soid + " is not distributed", "", coordinator_->endpoint(), "", false);
  t.schema = r.str(0, 0);
  t.name = r.str(0, 1);
  t.method = r.get(0, 2).empty() ? 'h' : r.get(0, 2)[0];
  t.repmodel = r.get(0, 3).empty() ? 's' : r.get(0, 3)[0];
  t.colocation_id = static_cast<int32_t>(r.i64(0, 4));
  if (!r.is_null(0, 5)) t.dist_column = r.str(0, 5);

  auto cols = coordinator_->exec(
      "SELECT a.attname, a.attnum, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
      "       CASE WHEN a.attgenerated <> '' THEN NULL "
      "            WHEN a.attidentity <> '' THEN 'nextval(' || quote_literal(pg_get_serial_sequence("
      "                 a.attrelid::regclass::text, a.attname)) || '::regclass)' "
      "            ELSE pg_get_expr(d.adbin, d.adrelid) END, a.attgenerated <> '' "
      "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      {soid});
  for (int i = 0; i < cols.rows(); ++i) {
    Column c;
    c.name = cols.str(i, 0);
    c.attnum = static_cast<int>(cols.i64(i, 1));
    c.type_oid = static_cast<uint32_t>(cols.i64(i, 2));
    c.typmod = static_cast<int32_t>(cols.i64(i, 3));
    c.type_sql = cols.str(i, 4);
    c.not_null = cols.boolean(i, 5);
    c.default_expr = cols.opt(i, 6).value_or("");
    c.generated = cols.boolean(i, 7);
    if (c.name == t.dist_column) t.dist_column_index = i;
    t.columns.push_back(std::move(c));
  }
  resolve_value_types(oid, t.columns);
  t.time_zone = coordinator_->exec("SELECT current_setting('TimeZone')").str(0, 0);

  auto shards = coordinator_->exec(
      "SELECT s.shardid, s.shardminvalue, s.shardmaxvalue, "
      "       array_to_string(array(SELECT pl.groupid FROM pg_dist_placement pl "
      "                              WHERE pl.shardid = s.shardid AND pl.shardstate = 1 ORDER BY pl.groupid), ',') "
      "FROM pg_dist_shard s WHERE s.logicalrelid = $1::oid::regclass "
      "ORDER BY CASE WHEN s.shardminvalue IS NULL THEN NULL ELSE s.shardminvalue::bigint END NULLS FIRST, s.shardid",
      {soid});
  for (int i = 0; i < shards.rows(); ++i) {
    Shard s;
    s.shard_id = shards.i64(i, 0);
    if (!shards.is_null(i, 1)) s.min_value = static_cast<int32_t>(shards.i64(i, 1));
    if (!shards.is_null(i, 2)) s.max_value = static_cast<int32_t>(shards.i64(i, 2));
    std::string groups = shards.str(i, 3);
    size_t pos = 0;
    while (pos < groups.size()) {
      size_t comma = groups.find(',', pos);
      if (comma == std::string::npos) comma = groups.size();
      s.groups.push_back(std::stoi(groups.substr(pos, comma - pos)));
      pos = comma + 1;
    }
    t.shards.push_back(std::move(s));
  }
  return t;
}

std::string Catalog::node_conninfo(const Node& node) const {
  if (auto it = overrides_.find(node.endpoint()); it != overrides_.end()) return it->second;
  // Start from what the coordinator connection actually used (PG* env, service file and .pgpass included).
  std::string out;
  PQconninfoOption* opts = PQconninfo(coordinator_->raw());
  for (PQconninfoOption* o = opts; o && o->keyword; ++o) {
    std::string_view k = o->keyword;
    if (!o->val || !*o->val) continue;
    if (k == "host" || k == "hostaddr" || k == "port" || k == "service" || k == "fallback_application_name") continue;
    out += std::string(k) + "=" + conninfo_value(o->val) + " ";
  }
  PQconninfoFree(opts);
  out += "host=" + conninfo_value(node.host) + " port=" + std::to_string(node.port);
  return out;
}

std::pair<std::string, std::string> parse_node_conninfo(std::string_view option) {
  const size_t eq = option.find('=');
  auto endpoint = parse_endpoint(option.substr(0, eq));
  if (eq == std::string_view::npos || !endpoint)
    throw std::invalid_argument("--node-conninfo takes host:port=CONNINFO, got '" +
                                redact_conninfo(std::string(option)) + "'");
  // Keyed as Node::endpoint() prints it, so "[::1]:9701" finds the node "::1:9701".
  return {endpoint->first + ":" + std::to_string(endpoint->second), std::string(option.substr(eq + 1))};
}

std::string redact_conninfo(std::string_view conninfo) {
  static const std::regex kv(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))", std::regex::icase);
  static const std::regex uri(R"((postgres(?:ql)?://[^:/@]*:)([^@]*)@)", std::regex::icase);
  std::string s = std::regex_replace(std::string(conninfo), kv, "$1********");
  return std::regex_replace(s, uri, "$1********@");
}

}  // namespace pgload

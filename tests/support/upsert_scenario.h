// The --on-conflict and worker-reject scenarios, run by the local-cluster test and by the gated real-Citus test
// alike: each builds its tables through the coordinator, runs pgload, and compares the result with what PostgreSQL
// itself gives for the same rows applied one by one (INSERT … ON CONFLICT in a plain table on the coordinator).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test::upsert {

struct Row {
  int64_t id;
  std::string name;
  int64_t n;
};

// pgload's JSON value for `key` (a count), or -1.
inline int64_t json_count(const std::string& out, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("\"" + key + "\":(\\d+)"))) return -1;
  return std::stoll(m[1].str());
}

inline std::string csv(const std::vector<Row>& rows) {
  std::string s;
  for (const Row& r : rows) s += std::to_string(r.id) + "," + r.name + "," + std::to_string(r.n) + "\n";
  return s;
}

// `count` rows with keys drawn from [0, key_range): repeats inside the input are certain.
inline std::vector<Row> random_rows(int count, int64_t key_range, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Row> rows;
  for (int i = 0; i < count; ++i)
    rows.push_back(
        {static_cast<int64_t>(rng() % key_range), "r" + std::to_string(i), static_cast<int64_t>(rng() % 1000)});
  return rows;
}

// The rows applied to `expect` one statement each, in input order; a row PostgreSQL refuses (a check or unique
// violation) is skipped, as --max-errors skips it. `conflict` is the ON CONFLICT clause.
inline void apply_row_by_row(const PgConn& c, const std::string& expect, const std::vector<Row>& rows,
                             const std::string& columns, const std::string& conflict) {
  std::string values;
  for (size_t i = 0; i < rows.size(); ++i)
    values += (i ? "," : "") + ("(" + std::to_string(i) + "," + std::to_string(rows[i].id) + "," +
                                quote_literal(rows[i].name) + "," + std::to_string(rows[i].n) + ")");
  c.run("DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM (VALUES " + values +
        ") v(ord, id, name, n) ORDER BY ord LOOP BEGIN INSERT INTO " + expect + " (" + columns +
        ") VALUES (r.id, r.name, r.n) " + conflict +
        "; EXCEPTION WHEN integrity_constraint_violation THEN NULL; END; END LOOP; END $$");
}

// Rows in one table and not in the other, both ways (0: equal as sets of rows).
inline int64_t differing_rows(const PgConn& c, const std::string& a, const std::string& b, const std::string& cols) {
  return std::stoll(*c.scalar("SELECT (SELECT count(*) FROM (SELECT " + cols + " FROM " + a + " EXCEPT ALL SELECT " +
                              cols + " FROM " + b + ") x) + (SELECT count(*) FROM (SELECT " + cols + " FROM " + b +
                              " EXCEPT ALL SELECT " + cols + " FROM " + a + ") y)"));
}

// md5 of every placement of `table` (on its worker) next to the md5 of `expect` on the coordinator: a reference
// table's replicas must each hold the rows.
inline void expect_every_placement_equals(const PgConn& coord, const std::string& table, const std::string& expect,
                                          const std::string& order_cols) {
  const std::string digest = "SELECT md5(coalesce(string_agg(x::text, ';' ORDER BY " + order_cols + "), '')) FROM ";
  const std::string want = *coord.scalar(digest + expect + " x");
  Catalog cat = Catalog::load(coord);
  Table t = cat.table(table);
  int placements = 0;
  for (const Shard& s : t.shards)
    for (int32_t g : s.groups) {
      PgConn w = PgConn::connect(cat.node_conninfo(*cat.node_for_group(g)), "pgload-test");
      EXPECT_EQ(*w.scalar(digest + t.shard_relation(s.shard_id) + " x"), want)
          << "placement of shard " << s.shard_id << " on group " << g;
      ++placements;
    }
  EXPECT_GE(placements, 2) << "a reference table has a replica on every worker";
}

// The reject file's entries: input line -> its comment line.
inline std::map<int64_t, std::string> rejects_by_line(const std::string& path) {
  std::map<int64_t, std::string> out;
  std::istringstream in(read_file(path));
  std::string line;
  std::regex head(R"(^# line (\d+),)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, head)) out[std::stoll(m[1].str())] = line;
  }
  return out;
}

// Where a scenario runs: the coordinator, a directory for its files, and whether the backend is real Citus (whose
// workers get types and foreign keys from the coordinator; the local cluster's get neither).
struct Env {
  std::string conninfo;
  std::string dir;
  bool citus = false;
};

inline CommandResult pgload(const Env& env, const std::string& args) { return run_pgload(env.conninfo, args); }
inline CommandResult pgload_json(const Env& env, const std::string& args) {
  return run_command("(" + pgload_command(env.conninfo, args + " --json") + " 2>/dev/null)");
}

enum class Kind { Distributed, Reference };

// --on-conflict `action` (nothing|update) of 3000 rows over 1000 existing ones, keys repeated in the input and across
// batches (--batch-bytes 2kB): the table equals the row-by-row result, and the summary's counts are PostgreSQL's.
inline void upsert_equals_row_by_row(const Env& env, const std::string& action, const std::string& table, Kind kind,
                                     const std::string& extra = "") {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  const std::string expect = table + "_expect";
  c.run("DROP TABLE IF EXISTS " + table + ", " + expect);
  c.run("CREATE TABLE " + table + " (id bigint PRIMARY KEY, name text, n int)");
  c.run("CREATE TABLE " + expect + " (id bigint PRIMARY KEY, name text, n int)");
  c.run(kind == Kind::Reference ? "SELECT create_reference_table('" + table + "')"
                                : "SELECT create_distributed_table('" + table + "', 'id', colocate_with => 'none')");
  // The existing rows go in by pgload too: the local cluster's coordinator writes a reference table's rows to one
  // replica only.
  std::vector<Row> old;
  for (int64_t g = 0; g < 1000; ++g) old.push_back({g * 2, "old" + std::to_string(g), g});
  const std::string old_path = env.dir + "/" + table + "_old.csv";
  write_file(old_path, csv(old));
  auto pre = pgload(env, "--url " + sh(old_path) + " --table " + table + " --quiet");
  ASSERT_EQ(pre.exit_code, 0) << pre.output;
  c.run("INSERT INTO " + expect + " SELECT g * 2, 'old' || g, g FROM generate_series(0, 999) g");
  const std::vector<Row> rows = random_rows(3000, 4000, 11);
  const std::string path = env.dir + "/" + table + ".csv";
  write_file(path, csv(rows));
  auto r = pgload_json(
      env, "--url " + sh(path) + " --table " + table + " --on-conflict " + action + " --batch-bytes 2048" + extra);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const bool update = action == "update";
  apply_row_by_row(
      c, expect, rows, "id, name, n",
      update ? "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, n = EXCLUDED.n" : "ON CONFLICT (id) DO NOTHING");
  EXPECT_EQ(differing_rows(c, table, expect, "id, name, n"), 0);
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM " + table), *c.scalar("SELECT count(*) FROM " + expect));
  if (kind == Kind::Reference) expect_every_placement_equals(c, table, expect, "x.id");
  // Row by row: a key not yet in the table inserts; any other row updates (update) or is skipped (nothing).
  std::set<int64_t> keys;
  for (int64_t g = 0; g < 1000; ++g) keys.insert(g * 2);
  int64_t inserted = 0;
  for (const Row& row : rows) inserted += keys.insert(row.id).second ? 1 : 0;
  const int64_t others = static_cast<int64_t>(rows.size()) - inserted;
  EXPECT_EQ(json_count(r.output, "rows"), static_cast<int64_t>(rows.size())) << r.output;
  EXPECT_EQ(json_count(r.output, "inserted"), inserted) << r.output;
  EXPECT_EQ(json_count(r.output, "updated"), update ? others : 0) << r.output;
  EXPECT_EQ(json_count(r.output, "skipped"), update ? 0 : others) << r.output;
}

// Two colocated tables, the second keyed by (user_id, order_id): --conflict-key and --update-columns narrow the
// update to `amount`, leaving `note` as it was.
inline void colocated_update_columns(const Env& env, const std::string& prefix) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  const std::string users = prefix + "_users", orders = prefix + "_orders", expect = prefix + "_orders_expect";
  c.run("DROP TABLE IF EXISTS " + orders + ", " + users + ", " + expect);
  c.run("CREATE TABLE " + users + " (user_id bigint PRIMARY KEY, name text)");
  c.run("SELECT create_distributed_table('" + users + "', 'user_id', colocate_with => 'none')");
  const std::string def =
      " (user_id bigint, order_id bigint, amount int, note text DEFAULT 'kept', "
      "UNIQUE (order_id, user_id))";
  c.run("CREATE TABLE " + orders + def);
  c.run("CREATE TABLE " + expect + def);
  c.run("SELECT create_distributed_table('" + orders + "', 'user_id', colocate_with => '" + users + "')");
  EXPECT_EQ(*c.scalar("SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE logicalrelid IN ('" + users +
                      "'::regclass, '" + orders + "'::regclass)"),
            "1");
  for (const std::string& t : {orders, expect})
    c.run("INSERT INTO " + t + " SELECT g % 50, g, g, 'original' FROM generate_series(0, 499) g");
  // Rows (user_id, order_id, amount): `name` of Row carries the order id.
  std::mt19937 rng(5);
  std::string file;
  std::vector<Row> rows;
  std::string values;
  for (int i = 0; i < 1500; ++i) {
    const int64_t order = rng() % 1000, amount = rng() % 100000;
    const int64_t user = order % 50;
    file += std::to_string(user) + "," + std::to_string(order) + "," + std::to_string(amount) + "\n";
    values += (i ? "," : "") + ("(" + std::to_string(i) + "," + std::to_string(user) + "," + std::to_string(order) +
                                "," + std::to_string(amount) + ")");
  }
  const std::string path = env.dir + "/" + orders + ".csv";
  write_file(path, file);
  auto r =
      pgload_json(env, "--url " + sh(path) + " --table " + orders +
                           " --columns user_id,order_id,amount --on-conflict update --conflict-key order_id,user_id"
                           " --update-columns amount --batch-bytes 1024");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  c.run("DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM (VALUES " + values +
        ") v(ord, u, o, a) ORDER BY ord LOOP INSERT INTO " + expect +
        " (user_id, order_id, amount) VALUES (r.u, r.o, r.a) ON CONFLICT (order_id, user_id) DO UPDATE SET amount = "
        "EXCLUDED.amount; END LOOP; END $$");
  EXPECT_EQ(differing_rows(c, orders, expect, "user_id, order_id, amount, note"), 0);
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM " + orders + " WHERE note = 'original'"), "500");
  EXPECT_EQ(json_count(r.output, "inserted") + json_count(r.output, "updated"), 1500) << r.output;
}

// What --max-errors makes of rows the workers refuse: a CHECK, a domain's CHECK (a type the client does not check),
// an exclusion constraint (a key repeated in the input), the primary key (a key already in the table). The reject
// file names exactly those lines, each with its constraint; every other row is loaded. With `action` the same rows
// go through --on-conflict, whose refusals come from the INSERT (found by halving the batch).
inline void worker_rejects(const Env& env, const std::string& table, const std::string& action) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  const std::string expect = table + "_expect";
  c.run("DROP TABLE IF EXISTS " + table + ", " + expect);
  const std::string domain = "pgload_test_pos";
  auto make_domain = [&](const PgConn& on) {
    on.run("DO $$ BEGIN IF to_regtype('" + domain + "') IS NULL THEN CREATE DOMAIN " + domain +
           " AS int CHECK (VALUE > 0); END IF; END $$");
  };
  make_domain(c);
  if (!env.citus) {
    // The local cluster's workers know only built-in types: give them the domain too.
    Catalog cat = Catalog::load(c);
    for (const Node& n : cat.nodes())
      if (!n.is_coordinator()) make_domain(PgConn::connect(cat.node_conninfo(n), "pgload-test"));
  }
  const std::string cols = " (id bigint PRIMARY KEY, name text, n int CONSTRAINT " + table + "_n_check CHECK (n >= 0)";
  c.run("CREATE TABLE " + table + cols + ", d " + domain + ", CONSTRAINT " + table +
        "_name_excl EXCLUDE USING btree (id WITH =, name WITH =))");
  c.run("CREATE TABLE " + expect + cols + ", d int)");
  c.run("SELECT create_distributed_table('" + table + "', 'id', colocate_with => 'none')");
  c.run("INSERT INTO " + table + " VALUES (100000, 'there', 1, 1)");
  c.run("INSERT INTO " + expect + " VALUES (100000, 'there', 1, 1)");
  std::string file;
  std::map<int64_t, std::string> refused;  // input line -> the constraint
  std::vector<Row> good;
  const bool upsert = !action.empty();
  for (int64_t line = 1; line <= 2000; ++line) {
    int64_t id = line, n = line, d = 1;
    std::string name = "n" + std::to_string(line);
    if (line % 97 == 0) {
      n = -line;
      refused[line] = table + "_n_check";
    } else if (line % 89 == 0) {
      d = 0;
      refused[line] = domain + "_check";
    } else if (line == 1500 && !upsert) {
      id = 100000;  // already there: the primary key refuses it (an upsert updates it instead)
      name = "there";
      refused[line] = "";  // the primary key or the exclusion constraint, whichever index PostgreSQL checks first
    } else if (line % 250 == 0 && !upsert) {
      id = line - 1;  // the same key as the line before: the exclusion constraint (or the key) refuses it
      name = "n" + std::to_string(line - 1);
      refused[line] = "";
    }
    file += std::to_string(id) + "," + name + "," + std::to_string(n) + "," + std::to_string(d) + "\n";
    if (!refused.count(line)) good.push_back({id, name, n});
  }
  const std::string path = env.dir + "/" + table + ".csv", rejects = env.dir + "/" + table + ".rejects";
  write_file(path, file);
  auto r = pgload_json(env, "--url " + sh(path) + " --table " + table + " --max-errors 100 --reject-file " +
                                sh(rejects) + " --batch-bytes 4096" + (upsert ? " --on-conflict " + action : ""));
  ASSERT_EQ(r.exit_code, 0) << r.output << read_file(rejects);
  const int64_t n_refused = static_cast<int64_t>(refused.size());
  EXPECT_EQ(json_count(r.output, "rejected"), n_refused) << r.output;
  EXPECT_EQ(json_count(r.output, "rejected_by_workers"), n_refused) << r.output;
  EXPECT_EQ(json_count(r.output, "rows"), 2000 - n_refused) << r.output;
  const auto entries = rejects_by_line(rejects);
  std::vector<int64_t> got, want;
  for (const auto& [line, text] : entries) got.push_back(line);
  for (const auto& [line, constraint] : refused) want.push_back(line);
  EXPECT_EQ(got, want);
  for (const auto& [line, constraint] : refused) {
    if (!entries.count(line)) continue;
    const std::string& text = entries.at(line);
    EXPECT_THAT(text, ::testing::HasSubstr("shard ")) << text;
    EXPECT_THAT(text, ::testing::HasSubstr(" on worker ")) << text;
    EXPECT_THAT(text, ::testing::HasSubstr(", byte ")) << text;
    if (!constraint.empty()) {
      EXPECT_THAT(text, ::testing::HasSubstr("[constraint \"" + constraint + "\"]")) << text;
    }
    if (constraint == domain + "_check") {
      EXPECT_THAT(text, ::testing::HasSubstr("column d")) << text;
    }
  }
  // The reject file holds each refused input record verbatim after its comment.
  EXPECT_THAT(read_file(rejects), ::testing::HasSubstr("\n97,n97,-97,1\n"));
  // The rest is loaded as PostgreSQL loads those rows one by one.
  apply_row_by_row(c, expect, good, "id, name, n",
                   upsert ? "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, n = EXCLUDED.n" : "");
  EXPECT_EQ(differing_rows(c, table, expect, "id, name, n"), 0);
}

// A checkpointed load whose steps hold refused rows, killed after its first step and resumed: each step's progress
// row counts the rows the workers refused in it and ends the reject file after them, so the resumed run keeps every
// entry once and loads every other row once.
inline void checkpointed_worker_rejects(const Env& env, const std::string& table) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  c.run("DROP TABLE IF EXISTS " + table);
  c.run("CREATE TABLE " + table + " (id bigint PRIMARY KEY, n int CHECK (n >= 0), pad text)");
  c.run("SELECT create_distributed_table('" + table + "', 'id', colocate_with => 'none')");
  std::string file;
  std::vector<int64_t> refused;
  const std::string pad(1000, 'p');  // 3 MB: a step reads whole 1 MiB chunks, so this makes about three steps
  for (int64_t line = 1; line <= 3000; ++line) {
    const bool bad = line % 97 == 0;
    if (bad) refused.push_back(line);
    file += std::to_string(line) + "," + std::to_string(bad ? -line : line) + "," + pad + "\n";
  }
  const std::string path = env.dir + "/" + table + ".csv", rejects = env.dir + "/" + table + ".rejects";
  write_file(path, file);
  const std::string args = "--url " + sh(path) + " --table " + table + " --checkpoint 1MB --batch-bytes 65536 " +
                           "--max-errors 100 --reject-file " + sh(rejects);
  auto killed = run_pgload(env.conninfo, args + " --quiet", "PGLOAD_FAULT=after_step:1");
  ASSERT_NE(killed.exit_code, 0) << killed.output;
  const auto first = rejects_by_line(rejects);
  ASSERT_FALSE(first.empty()) << "the first step refused rows";
  auto resumed = pgload_json(env, args + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto entries = rejects_by_line(rejects);
  std::vector<int64_t> got;
  for (const auto& [line, text] : entries) got.push_back(line);
  EXPECT_EQ(got, refused) << read_file(rejects);
  const std::string all = read_file(rejects);
  int64_t comments = 0;
  for (size_t at = all.find("# line "); at != std::string::npos; at = all.find("# line ", at + 1)) ++comments;
  EXPECT_EQ(comments, static_cast<int64_t>(refused.size())) << "each refused row once";
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM " + table), std::to_string(3000 - refused.size()));
  EXPECT_EQ(*c.scalar("SELECT count(DISTINCT id) FROM " + table), std::to_string(3000 - refused.size()));
}

// Without --max-errors a refused row still fails the whole load, naming line, shard and constraint; with a budget
// smaller than the refusals, the load fails as a client-side excess does. Nothing is loaded either way.
inline void refused_rows_without_budget(const Env& env, const std::string& table) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  c.run("DROP TABLE IF EXISTS " + table);
  c.run("CREATE TABLE " + table + " (id bigint PRIMARY KEY, name text, n int CHECK (n >= 0))");
  c.run("SELECT create_distributed_table('" + table + "', 'id', colocate_with => 'none')");
  std::string file;
  for (int i = 1; i <= 1000; ++i) file += std::to_string(i) + ",x," + std::to_string(i % 300 == 0 ? -1 : i) + "\n";
  const std::string path = env.dir + "/" + table + ".csv";
  write_file(path, file);
  for (const std::string& extra : {std::string(), std::string(" --on-conflict update")}) {
    auto r = pgload(env, "--url " + sh(path) + " --table " + table + extra);
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr("violates check constraint")) << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr("nothing was loaded")) << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr("--max-errors N rejects up to N such rows")) << r.output;
    EXPECT_THAT(r.output, ::testing::ContainsRegex(extra.empty() ? "input line (300|600|900) \\(byte"
                                                                 : "a row of the batch of input lines [0-9]+-[0-9]+: "))
        << r.output;
    auto over = pgload(env, "--url " + sh(path) + " --table " + table + extra + " --max-errors 2");
    EXPECT_EQ(over.exit_code, 1) << over.output;
    EXPECT_THAT(over.output, ::testing::HasSubstr("3 rows rejected so far; --max-errors is 2")) << over.output;
    EXPECT_EQ(*c.scalar("SELECT count(*) FROM " + table), "0");
  }
}

// A foreign key between colocated tables (real Citus creates it on the shards; the local cluster does not): orders
// of users that do not exist are refused at the end of each COPY, without a line, and found by halving.
inline void foreign_key_rejects(const Env& env, const std::string& prefix) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  const std::string users = prefix + "_users", orders = prefix + "_orders";
  c.run("DROP TABLE IF EXISTS " + orders + ", " + users);
  c.run("CREATE TABLE " + users + " (user_id bigint PRIMARY KEY)");
  c.run("SELECT create_distributed_table('" + users + "', 'user_id', colocate_with => 'none')");
  c.run("CREATE TABLE " + orders + " (user_id bigint, order_id bigint, PRIMARY KEY (user_id, order_id), CONSTRAINT " +
        orders + "_user_fk FOREIGN KEY (user_id) REFERENCES " + users + ")");
  c.run("SELECT create_distributed_table('" + orders + "', 'user_id', colocate_with => '" + users + "')");
  c.run("INSERT INTO " + users + " SELECT g FROM generate_series(1, 100) g");
  std::string file;
  std::vector<int64_t> want;
  for (int64_t line = 1; line <= 1000; ++line) {
    const int64_t user = line % 37 == 0 ? 1000 + line : 1 + line % 100;
    if (user > 100) want.push_back(line);
    file += std::to_string(user) + "," + std::to_string(line) + "\n";
  }
  const std::string path = env.dir + "/" + orders + ".csv", rejects = env.dir + "/" + orders + ".rejects";
  write_file(path, file);
  auto r = pgload_json(env, "--url " + sh(path) + " --table " + orders + " --max-errors 50 --reject-file " +
                                sh(rejects) + " --batch-bytes 1024");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto entries = rejects_by_line(rejects);
  std::vector<int64_t> got;
  for (const auto& [line, text] : entries) {
    got.push_back(line);
    EXPECT_THAT(text, ::testing::HasSubstr("[constraint \"" + orders + "_user_fk\"]")) << text;
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM " + orders), std::to_string(1000 - want.size()));
}

// Each worker's conninfo as the coordinator's catalog names it (pgload's own way to reach them).
inline std::vector<std::string> worker_conninfos(const PgConn& coord) {
  Catalog cat = Catalog::load(coord);
  std::vector<std::string> out;
  for (const Node& n : cat.nodes())
    if (n.group_id != 0) out.push_back(cat.node_conninfo(n));
  return out;
}

// A reference table whose replicas disagree (a CHECK added on one placement only, behind Citus's back): under
// --max-errors the placements refuse different rows of a batch, and the load fails naming the shard and loads
// nothing, on every replica.
inline void replicas_refuse_different_rows(const Env& env, const std::string& table) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  c.run("DROP TABLE IF EXISTS " + table);
  c.run("CREATE TABLE " + table + " (id bigint PRIMARY KEY, n int)");
  c.run("SELECT create_reference_table('" + table + "')");
  Catalog cat = Catalog::load(c);
  const Table t = cat.table(table);
  ASSERT_EQ(t.shards.size(), 1u);
  ASSERT_GE(t.shards[0].groups.size(), 2u);
  const std::string shard = t.shard_relation(t.shards[0].shard_id);
  {
    PgConn w = PgConn::connect(cat.node_conninfo(*cat.node_for_group(t.shards[0].groups.back())), "pgload-test");
    w.run("SET citus.enable_manual_changes_to_shards = on");
    w.run("ALTER TABLE " + shard + " ADD CONSTRAINT one_replica_only CHECK (n < 500)");
  }
  std::string file;
  for (int i = 1; i <= 1000; ++i) file += std::to_string(i) + "," + std::to_string(i) + "\n";
  const std::string path = env.dir + "/" + table + ".csv";
  write_file(path, file);
  auto r = pgload(env, "--url " + sh(path) + " --table " + table + " --max-errors 1000 --reject-file " +
                           sh(env.dir + "/" + table + ".rejects"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("the placements of shard " + std::to_string(t.shards[0].shard_id) +
                                             " refused different rows of the same batch"))
      << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("its replicas differ; nothing was loaded")) << r.output;
  for (int32_t g : t.shards[0].groups) {
    PgConn w = PgConn::connect(cat.node_conninfo(*cat.node_for_group(g)), "pgload-test");
    EXPECT_EQ(*w.scalar("SELECT count(*) FROM " + shard), "0") << "placement on group " << g;
  }
  c.run("DROP TABLE " + table);
}

// A role that may not create the staging schema on the workers (no CREATE on the database there, the schema not
// made yet): --on-conflict fails before anything is sent, saying what to create and grant, and loads nothing.
inline void staging_schema_refused(const Env& env, const std::string& table, const std::string& role) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  const std::vector<std::string> workers = worker_conninfos(c);
  // The role and the table's owner on every node: Citus propagates both (and refuses role commands on a worker);
  // the local cluster's nodes are separate servers.
  const std::string make_role = "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role +
                                "') THEN CREATE ROLE " + role + " LOGIN; END IF; END $$";
  c.run(make_role);
  c.run("DROP TABLE IF EXISTS " + table);
  c.run("CREATE TABLE " + table + " (id bigint PRIMARY KEY, n int)");
  c.run("SELECT create_distributed_table('" + table + "', 'id', shard_count => 4, colocate_with => 'none')");
  c.run("ALTER TABLE " + table + " OWNER TO " + role);
  for (const std::string& w : workers) {
    PgConn n = PgConn::connect(w, "pgload-test");
    if (!env.citus) {
      n.run(make_role);
      n.run("DO $$ DECLARE r record; BEGIN FOR r IN SELECT oid::regclass AS t FROM pg_class WHERE relname ~ '^" +
            table + "_[0-9]+$' AND relkind = 'r' LOOP EXECUTE format('ALTER TABLE %s OWNER TO " + role +
            "', r.t); END LOOP; END $$");
    }
    EXPECT_EQ(*n.scalar("SELECT has_database_privilege(" + quote_literal(role) + ", current_database(), 'CREATE')"),
              "f");
    n.run("DROP SCHEMA IF EXISTS pgload_staging CASCADE");
  }
  // pgload's own schema exists (a superuser's load made it), so only the staging schema is missing.
  const std::string path = env.dir + "/" + table + ".csv";
  write_file(path, "1,1\n2,2\n");
  ASSERT_EQ(pgload(env, "--url " + sh(path) + " --table " + table).exit_code, 0);
  c.run("TRUNCATE " + table);
  auto r =
      run_pgload(env.conninfo + " user=" + role, "--url " + sh(path) + " --table " + table + " --on-conflict update");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("--on-conflict needs the schema pgload_staging on worker ")) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("permission denied for database")) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("GRANT CREATE, USAGE ON SCHEMA pgload_staging to the loading role"))
      << r.output;
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM " + table), "0");
  c.run("DROP TABLE " + table);
}

// Row id -> xmin of every row of `table`, read on its placements (a new row version has a new xmin).
inline std::map<int64_t, std::string> row_versions(const PgConn& coord, const std::string& table) {
  Catalog cat = Catalog::load(coord);
  Table t = cat.table(table);
  std::map<int64_t, std::string> out;
  for (const Shard& s : t.shards) {
    PgConn w = PgConn::connect(cat.node_conninfo(*cat.node_for_group(s.groups.at(0))), "pgload-test");
    PgResult r = w.exec("SELECT id, xmin::text FROM " + t.shard_relation(s.shard_id));
    for (int i = 0; i < r.rows(); ++i) out[r.i64(i, 0)] = r.str(i, 1);
  }
  return out;
}

// Loading an export again with --on-conflict update rewrites only the rows whose loaded values differ in any byte
// (1.0 vs 1.00, json whitespace, a changed text); an equal row keeps its row version. The table ends equal to the
// file either way.
inline void reload_rewrites_only_changed_rows(const Env& env, const std::string& table) {
  PgConn c = PgConn::connect(env.conninfo, "pgload-test");
  c.run("DROP TABLE IF EXISTS " + table);
  c.run("CREATE TABLE " + table + " (id bigint PRIMARY KEY, name text, amount numeric, doc json)");
  c.run("SELECT create_distributed_table('" + table + "', 'id', shard_count => 4, colocate_with => 'none')");
  auto file = [](int changed_from) {
    std::string s;
    for (int i = 1; i <= 200; ++i) {
      const bool change = i >= changed_from && i < changed_from + 3;
      const std::string amount = change && i == changed_from ? "1.00" : "1.0";
      const std::string doc = change && i == changed_from + 1 ? "\"{\"\"a\"\": 1}\"" : "\"{\"\"a\"\":1}\"";
      const std::string name = change && i == changed_from + 2 ? "renamed" : "n" + std::to_string(i);
      s += std::to_string(i) + "," + name + "," + amount + "," + doc + "\n";
    }
    return s;
  };
  const std::string first = env.dir + "/" + table + "_1.csv", again = env.dir + "/" + table + "_2.csv";
  write_file(first, file(1000));
  write_file(again, file(50));
  ASSERT_EQ(pgload(env, "--url " + sh(first) + " --table " + table + " --on-conflict update").exit_code, 0);
  const auto before = row_versions(c, table);
  auto r = pgload_json(env, "--url " + sh(again) + " --table " + table + " --on-conflict update");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json_count(r.output, "inserted"), 0) << r.output;
  EXPECT_EQ(json_count(r.output, "updated"), 200) << r.output;  // every row matched a key and holds the file's values
  const auto after = row_versions(c, table);
  ASSERT_EQ(after.size(), 200u);
  std::set<int64_t> rewritten;
  for (const auto& [id, xmin] : after)
    if (before.at(id) != xmin) rewritten.insert(id);
  EXPECT_EQ(rewritten, (std::set<int64_t>{50, 51, 52}));
  EXPECT_EQ(*c.scalar("SELECT amount::text || ' ' || doc::text || ' ' || name FROM " + table + " WHERE id = 50"),
            "1.00 {\"a\":1} n50");
  EXPECT_EQ(*c.scalar("SELECT doc::text FROM " + table + " WHERE id = 51"), "{\"a\": 1}");
  EXPECT_EQ(*c.scalar("SELECT name FROM " + table + " WHERE id = 52"), "renamed");
  c.run("DROP TABLE " + table);
}

}  // namespace pgload::test::upsert

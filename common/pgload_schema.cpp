// One layout, one upgrade path. Row-level security rather than a schema per role: recovery by a superuser (or the
// admin who owns the cluster) must see every role's decisions in one place, and the run/move advisory lock keys
// stay global; a policy `role = current_user` keeps roles apart without any role needing to know the others.
#include "common/pgload_schema.h"

#include <stdexcept>
#include <string>

namespace pgload {
namespace {

// Serializes creators and upgraders (the same key pgmove's journal used for its table).
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(hashtextextended('pgload:schema', 0))";

// Current when all three tables carry the role column and force row-level security (the upgrade adds both in one
// transaction, after everything else).
constexpr const char* kCurrentSql =
    "SELECT count(*) = 3 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'role' "
    "AND NOT a.attisdropped WHERE c.relnamespace = to_regnamespace('pgload') "
    "AND c.relname IN ('commit_decisions', 'resumable_runs', 'moves') AND c.relkind = 'r' AND c.relforcerowsecurity";

constexpr const char* kCreateTablesSql =
    "CREATE TABLE IF NOT EXISTS pgload.commit_decisions ("
    "  run_id text PRIMARY KEY, gids text[] NOT NULL, decided_at timestamptz NOT NULL DEFAULT now(),"
    "  gid_endpoints text[], role name NOT NULL DEFAULT current_user);"
    "CREATE TABLE IF NOT EXISTS pgload.resumable_runs ("
    "  role name NOT NULL DEFAULT current_user, url text NOT NULL, table_name text NOT NULL,"
    "  source_etag text, source_last_modified text, source_size text, source_mtime text,"
    "  byte_offset bigint NOT NULL, line bigint NOT NULL, rows_done bigint NOT NULL, rejected bigint NOT NULL,"
    "  reject_file_bytes bigint NOT NULL DEFAULT 0, columns text[], step bigint NOT NULL, run_id text,"
    "  started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),"
    "  finished_at timestamptz, PRIMARY KEY (role, url, table_name));"
    "CREATE TABLE IF NOT EXISTS pgload.moves ("
    "  move_id bigserial PRIMARY KEY, shard_ids bigint[] NOT NULL, shard_relations text[] NOT NULL,"
    "  source_group int NOT NULL, target_group int NOT NULL, mode text NOT NULL,"
    "  state text NOT NULL CHECK (state IN ('started', 'switched', 'done', 'aborted')), error text,"
    "  started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),"
    "  role name NOT NULL DEFAULT current_user)";

// Tables of older pgload versions: the columns they lack (existing rows become the upgrader's, who owned them),
// and resumable_runs keyed by role too.
constexpr const char* kUpgradeSql =
    "ALTER TABLE pgload.commit_decisions ADD COLUMN IF NOT EXISTS gid_endpoints text[],"
    "  ADD COLUMN IF NOT EXISTS role name NOT NULL DEFAULT current_user;"
    "ALTER TABLE pgload.resumable_runs ADD COLUMN IF NOT EXISTS role name NOT NULL DEFAULT current_user;"
    "ALTER TABLE pgload.moves ADD COLUMN IF NOT EXISTS role name NOT NULL DEFAULT current_user;"
    "DO $$ BEGIN"
    "  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'pgload.resumable_runs'::regclass"
    "                 AND contype = 'p' AND conkey[1] = (SELECT attnum FROM pg_attribute"
    "                 WHERE attrelid = 'pgload.resumable_runs'::regclass AND attname = 'role')) THEN"
    "    ALTER TABLE pgload.resumable_runs DROP CONSTRAINT IF EXISTS resumable_runs_pkey;"
    "    ALTER TABLE pgload.resumable_runs ADD PRIMARY KEY (role, url, table_name);"
    "  END IF;"
    "END $$";

constexpr const char* kSecureSql =
    "GRANT USAGE ON SCHEMA pgload TO PUBLIC;"
    "GRANT SELECT, INSERT, UPDATE, DELETE ON pgload.commit_decisions, pgload.resumable_runs, pgload.moves TO PUBLIC;"
    "GRANT USAGE, SELECT ON SEQUENCE pgload.moves_move_id_seq TO PUBLIC;"
    "DROP POLICY IF EXISTS own_rows ON pgload.commit_decisions;"
    "CREATE POLICY own_rows ON pgload.commit_decisions USING (role = current_user) WITH CHECK (role = current_user);"
    "DROP POLICY IF EXISTS own_rows ON pgload.resumable_runs;"
    "CREATE POLICY own_rows ON pgload.resumable_runs USING (role = current_user) WITH CHECK (role = current_user);"
    "DROP POLICY IF EXISTS own_rows ON pgload.moves;"
    "CREATE POLICY own_rows ON pgload.moves USING (role = current_user) WITH CHECK (role = current_user);"
    "ALTER TABLE pgload.commit_decisions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
    "ALTER TABLE pgload.resumable_runs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
    "ALTER TABLE pgload.moves ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY";

void rollback(const PgConn& conn) noexcept { PQclear(PQexec(conn.raw(), "ROLLBACK")); }

}  // namespace

void ensure_pgload_schema(const PgConn& conn, bool create_missing) {
  if (conn.scalar(kCurrentSql) == "t") return;
  conn.run("BEGIN");
  try {
    conn.run(kSchemaLock);
    conn.run("SET LOCAL client_min_messages = warning");
    // The tables are the coordinator's own: on Citus the schema is not propagated to the workers (a role would
    // otherwise need CREATE on every node's database).
    conn.run("SET LOCAL citus.enable_ddl_propagation = off");
    if (conn.scalar(kCurrentSql) == "t") {  // another session made it current while we waited
      conn.run("COMMIT");
      return;
    }
    auto r = conn.exec(
        "SELECT pg_get_userbyid(n.nspowner), pg_has_role(n.nspowner, 'USAGE') OR "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), current_user, current_database() "
        "FROM (SELECT 1) x LEFT JOIN pg_namespace n ON n.nspname = 'pgload'");
    const bool exists = !r.is_null(0, 0);
    const std::string me = r.str(0, 2);
    if (!exists) {
      if (!create_missing) {
        conn.run("COMMIT");
        return;
      }
      try {
        conn.run("CREATE SCHEMA pgload");
      } catch (const PgError& e) {
        if (e.sqlstate() != "42501") throw;
        throw std::runtime_error("role " + me + " may not create pgload's bookkeeping schema \"pgload\" in database " +
                                 r.str(0, 3) + " on the coordinator " + conn.endpoint() +
                                 ": GRANT CREATE ON DATABASE " + quote_ident(r.str(0, 3)) + " TO " + quote_ident(me) +
                                 " (or let a role that may create it run pgload once)");
      }
    } else if (!r.boolean(0, 1)) {
      throw std::runtime_error("pgload's schema \"pgload\" on the coordinator " + conn.endpoint() +
                               " was made by an older pgload (or is incomplete) and must be upgraded by its owner, "
                               "role " +
                               r.str(0, 0) + ": run pgload (e.g. `pgload status`) once as " + r.str(0, 0) +
                               " or as a superuser");
    }
    conn.run(kCreateTablesSql);
    conn.run(kUpgradeSql);
    conn.run(kSecureSql);
    conn.run("COMMIT");
  } catch (...) {
    rollback(conn);
    throw;
  }
}

}  // namespace pgload

// COPY plumbing for a shard move. Direct mode pumps libpq's async COPY OUT into a blocking COPY IN, flushing the
// batch to the target whenever the source has nothing ready. Spool mode splits that at a file: a reader thread
// fills it from the source, this thread drains it into the target and can drain it again after a target failure.
#include "mover/copy/shard_copy.h"

#include <poll.h>

#include <array>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

#include "mover/copy/spool.h"

namespace pgload {

namespace {
constexpr size_t kTargetChunkBytes = size_t{256} * 1024;   // one PQputCopyData
constexpr size_t kSpoolAppendBytes = size_t{1024} * 1024;  // rows batched per spool append

// A failure of the source side seen by the target pump (never retried against the target).
struct SourceFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string copy_options(bool binary, bool freeze) {
  std::string o = binary ? "(FORMAT binary" : "(FORMAT text";
  return o + (freeze ? ", FREEZE)" : ")");
}

// Starts a COPY on `conn` and checks that the server entered the expected copy state.
void start_copy(const PgConn& conn, const std::string& sql, ExecStatusType expected) {
  PgResult r(PQexec(conn.raw(), sql.c_str()));
  if (!r.raw() || PQresultStatus(r.raw()) != expected) conn.fail(r.raw(), sql);
}

// Reads the final result of a COPY (after -1 from PQgetCopyData or after PQputCopyEnd) and the trailing null.
void finish_copy(const PgConn& conn, const std::string& sql) {
  PgResult r(PQgetResult(conn.raw()));
  bool ok = r.raw() && PQresultStatus(r.raw()) == PGRES_COMMAND_OK;
  while (PGresult* extra = PQgetResult(conn.raw())) PQclear(extra);
  if (!ok) conn.fail(r.raw(), sql);
}

void put(const PgConn& target, const char* data, size_t n, const std::string& sql) {
  if (PQputCopyData(target.raw(), data, static_cast<int>(n)) != 1) target.fail(nullptr, sql);
}

void rollback_quietly(const PgConn& c) {
  if (c && PQstatus(c.raw()) == CONNECTION_OK && PQtransactionStatus(c.raw()) != PQTRANS_IDLE)
    PQclear(PQexec(c.raw(), "ROLLBACK"));
}

// Aborts an open COPY IN on the target (if any) so the connection can roll back.
void abort_copy_in(const PgConn& target) {
  if (!target || PQstatus(target.raw()) != CONNECTION_OK) return;
  PQputCopyEnd(target.raw(), "pgmove: copy aborted");
  while (PGresult* r = PQgetResult(target.raw())) PQclear(r);
}

using CancelHandle = std::unique_ptr<PGcancel, decltype(&PQfreeCancel)>;

// Interrupts whatever runs on the connection the handle was made for (safe from another thread).
void cancel_query(const CancelHandle& c) {
  char err[256];
  if (c) PQcancel(c.get(), err, sizeof err);
}
}  // namespace

namespace {

void append_rows(std::vector<std::string>& to, const PgResult& r) {
  for (int i = 0; i < r.rows(); ++i) to.push_back(r.str(i, 0));
}

// Before the rows ($1: the table), as Citus's pre-load commands: storage parameters (the table's and its TOAST
// table's), column storage, statistics targets and options (not those named pg_*, which a server sets on its own), then
// the privileges exactly (REVOKE what a new table has, GRANT what the source's relacl/attacl hold; a superuser's GRANT
// is recorded as the owner's, as on the source).
const char* const kPreDataSql[] = {
    "SELECT pg_catalog.format('ALTER TABLE %s SET (%s)', $1::text, string_agg(o, ', '))"
    " FROM (SELECT pg_catalog.quote_ident(split_part(x, '=', 1)) || '=' ||"
    "   pg_catalog.quote_literal(substr(x, strpos(x, '=') + 1)) AS o"
    "   FROM pg_catalog.pg_class c, unnest(c.reloptions) x WHERE c.oid = $1::regclass"
    " UNION ALL SELECT 'toast.' || pg_catalog.quote_ident(split_part(x, '=', 1)) || '=' ||"
    "   pg_catalog.quote_literal(substr(x, strpos(x, '=') + 1))"
    "   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid,"
    "   unnest(t.reloptions) x WHERE c.oid = $1::regclass) s HAVING count(*) > 0",
    "SELECT pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET STORAGE %s', $1::text, a.attname,"
    "   CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' "
    "END)"
    " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attstorage <> t.typstorage"
    " UNION ALL SELECT pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS %s', $1::text, "
    "a.attname, a.attstattarget)"
    " FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped"
    "   AND coalesce(a.attstattarget, -1) >= 0"
    " UNION ALL SELECT pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET (%s)', $1::text, a.attname,"
    "   (SELECT string_agg(pg_catalog.quote_ident(split_part(x, '=', 1)) || '=' ||"
    "     pg_catalog.quote_literal(substr(x, strpos(x, '=') + 1)), ', ') FROM unnest(a.attoptions) x"
    "     WHERE x NOT LIKE 'pg\\_%'))"
    " FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped"
    "   AND EXISTS (SELECT 1 FROM unnest(a.attoptions) x WHERE x NOT LIKE 'pg\\_%')",
    "SELECT s FROM (SELECT 0 AS k, pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', $1::text) AS s"
    "   FROM pg_catalog.pg_class WHERE oid = $1::regclass AND relacl IS NOT NULL"
    " UNION ALL SELECT 1, pg_catalog.format('REVOKE ALL ON %s FROM %I', $1::text, "
    "pg_catalog.pg_get_userbyid(relowner))"
    "   FROM pg_catalog.pg_class WHERE oid = $1::regclass AND relacl IS NOT NULL"
    " UNION ALL SELECT 2, pg_catalog.format('GRANT %s ON %s TO %s%s', string_agg(a.privilege_type, ', ' ORDER "
    "BY a.privilege_type), $1::text,"
    "   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) "
    "END,"
    "   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)"
    "   FROM pg_catalog.pg_class c, aclexplode(c.relacl) a WHERE c.oid = $1::regclass"
    "   GROUP BY a.grantee, a.is_grantable"
    " UNION ALL SELECT 3, pg_catalog.format('GRANT %s (%I) ON %s TO %s%s', string_agg(a.privilege_type, ', ' "
    "ORDER BY a.privilege_type),"
    "   att.attname, $1::text,"
    "   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) "
    "END,"
    "   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)"
    "   FROM pg_catalog.pg_attribute att, aclexplode(att.attacl) a"
    "   WHERE att.attrelid = $1::regclass AND att.attnum > 0 AND NOT att.attisdropped"
    "   GROUP BY att.attname, a.grantee, a.is_grantable) g ORDER BY k, s",
};

// After the rows ($1: the table), as Citus's post-load commands (triggers, extended statistics) and its RLS commands
// and policies, which pgmove applies last: a policy or FORCE would otherwise apply to a copy made by a non-superuser
// owner.
const char* const kPostDataSql[] = {
    "SELECT pg_catalog.format('ALTER TABLE %s CLUSTER ON %I', $1::text, c.relname)"
    " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
    " WHERE i.indrelid = $1::regclass AND i.indisclustered",
    "SELECT s FROM (SELECT 0 AS k, x.stxname, pg_catalog.pg_get_statisticsobjdef(x.oid) AS s"
    "   FROM pg_catalog.pg_statistic_ext x WHERE x.stxrelid = $1::regclass"
    " UNION ALL SELECT 1, x.stxname, pg_catalog.format('ALTER STATISTICS %I.%I SET STATISTICS %s',"
    "   n.nspname, x.stxname, x.stxstattarget)"
    "   FROM pg_catalog.pg_statistic_ext x JOIN pg_catalog.pg_namespace n ON n.oid = x.stxnamespace"
    "   WHERE x.stxrelid = $1::regclass AND coalesce(x.stxstattarget, -1) >= 0) s"
    " ORDER BY stxname, k",
    "SELECT s FROM (SELECT t.tgname, 0 AS k, pg_catalog.pg_get_triggerdef(t.oid) AS s"
    "   FROM pg_catalog.pg_trigger t WHERE t.tgrelid = $1::regclass AND NOT t.tgisinternal"
    " UNION ALL SELECT t.tgname, 1, pg_catalog.format('ALTER TABLE %s %s TRIGGER %I', $1::text,"
    "   CASE t.tgenabled WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'ENABLE ALWAYS' END,"
    "   t.tgname)"
    "   FROM pg_catalog.pg_trigger t WHERE t.tgrelid = $1::regclass AND NOT t.tgisinternal"
    "   AND t.tgenabled <> 'O') s ORDER BY tgname, k",
    "SELECT s FROM (SELECT 0 AS k, '' AS n, pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', "
    "$1::text) AS s"
    "   FROM pg_catalog.pg_class WHERE oid = $1::regclass AND relrowsecurity"
    " UNION ALL SELECT 1, '', pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', $1::text)"
    "   FROM pg_catalog.pg_class WHERE oid = $1::regclass AND relforcerowsecurity"
    " UNION ALL SELECT 2, p.polname, pg_catalog.format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', "
    "p.polname, $1::text,"
    "   CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,"
    "   CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN "
    "'DELETE' ELSE 'ALL' END,"
    "   (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE "
    "pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)) END, ', ')"
    "     FROM unnest(p.polroles) r),"
    "   CASE WHEN p.polqual IS NULL THEN '' ELSE ' USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || "
    "')' END,"
    "   CASE WHEN p.polwithcheck IS NULL THEN '' ELSE ' WITH CHECK (' || "
    "pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')' END)"
    "   FROM pg_catalog.pg_policy p WHERE p.polrelid = $1::regclass) s ORDER BY k, n",
};

}  // namespace

ShardDdl read_shard_ddl(const PgConn& source, const std::string& schema, const std::string& table_name) {
  ShardDdl d;
  d.schema = schema;
  d.relation = quote_qualified(schema, table_name);
  const std::string rel = d.relation;
  const Params table{rel};
  // Every query in one round trip, read with an empty search_path, so that pg_get_expr, format_type and friends
  // qualify every name they print (a policy's or default's function, a type in another schema); the session's
  // setting comes back afterwards (after a failure the transaction's rollback restores it).
  std::vector<std::pair<std::string, Params>> queries{
      {"SELECT pg_catalog.current_setting('search_path')", {}},
      {"SELECT pg_catalog.set_config('search_path', '', false)", {}},
      {// columns, replica identity
       "SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)"
       "   || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation"
       "           THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END"
       "   || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') "
       "STORED'"
       "           WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END"
       "   || CASE a.attcompression WHEN 'p' THEN ' COMPRESSION pglz' WHEN 'l' THEN ' COMPRESSION lz4' ELSE '' END"
       "   || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY a.attnum),"
       " string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FILTER (WHERE a.attgenerated = ''),"
       " (SELECT relreplident FROM pg_class WHERE oid = $1::regclass)::text,"
       " EXISTS (SELECT 1 FROM pg_index WHERE indrelid = $1::regclass AND (indisprimary OR indisreplident))"
       " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
       " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
       " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
       table},
      {// constraints (foreign keys last)
       "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', $1::text, conname, pg_get_constraintdef(oid)), contype = "
       "'f'"
       " FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'c', 'x', 'f')"
       " ORDER BY contype = 'f', contype DESC, conname",
       table},
      {// indexes of no constraint
       "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
       " WHERE i.indrelid = $1::regclass AND NOT EXISTS"
       "   (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"
       " ORDER BY c.relname",
       table},
      {// the replica identity index
       "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
       " WHERE i.indrelid = $1::regclass AND i.indisreplident",
       table}};
  for (const char* sql : kPreDataSql) queries.emplace_back(sql, table);
  for (const char* sql : kPostDataSql) queries.emplace_back(sql, table);
  const std::vector<PgResult> r = source.exec_pipelined(queries);
  source.exec("SELECT pg_catalog.set_config('search_path', $1, false)", {r[0].str(0, 0)});

  const PgResult& cols = r[2];
  if (cols.rows() != 1 || cols.is_null(0, 0))
    throw PgError("shard table " + rel + " has no columns or does not exist", "42P01", source.endpoint(), "", false);
  d.create_table = "CREATE TABLE " + rel + " (" + cols.str(0, 0) + ")";
  d.copy_columns = cols.str(0, 1);
  std::string replident = cols.str(0, 2);
  bool pk_or_identity_index = cols.boolean(0, 3);
  d.has_replica_identity = replident == "f" || (replident != "n" && pk_or_identity_index);

  const PgResult& cons = r[3];
  for (int i = 0; i < cons.rows(); ++i) (cons.boolean(i, 1) ? d.foreign_keys : d.post_data).push_back(cons.str(i, 0));
  const PgResult& idx = r[4];
  for (int i = 0; i < idx.rows(); ++i) d.post_data.push_back(idx.str(i, 0));
  if (replident == "f") d.post_data.push_back("ALTER TABLE " + rel + " REPLICA IDENTITY FULL");
  if (replident == "n") d.post_data.push_back("ALTER TABLE " + rel + " REPLICA IDENTITY NOTHING");
  if (replident == "i" && r[5].rows() > 0 && !r[5].is_null(0, 0))
    d.post_data.push_back("ALTER TABLE " + rel + " REPLICA IDENTITY USING INDEX " + quote_ident(r[5].str(0, 0)));
  size_t next = 6;
  for (size_t i = 0; i < std::size(kPreDataSql); ++i) append_rows(d.pre_data, r[next++]);
  for (size_t i = 0; i < std::size(kPostDataSql); ++i) append_rows(d.post_data, r[next++]);
  return d;
}

ShardChecksum shard_checksum(const PgConn& conn, const std::string& relation) {
  auto r = conn.exec("SELECT count(*), coalesce(sum(hashtext(t::text)), 0)::text FROM " + relation + " t");
  return {r.i64(0, 0), r.str(0, 1)};
}

namespace {

ShardCopyStats copy_direct(const PgConn& source, PgConn& target, const ShardDdl& ddl, const ShardCopyOptions& opts) {
  ShardCopyStats stats;
  const std::string out_sql =
      "COPY " + ddl.relation + " (" + ddl.copy_columns + ") TO STDOUT " + copy_options(opts.binary, false);
  const std::string in_sql =
      "COPY " + ddl.relation + " (" + ddl.copy_columns + ") FROM STDIN " + copy_options(opts.binary, true);
  stats.target_attempts = 1;
  try {
    target.run("BEGIN; TRUNCATE " + ddl.relation);  // same transaction as the COPY: FREEZE is allowed
    start_copy(target, in_sql, PGRES_COPY_IN);
    start_copy(source, out_sql, PGRES_COPY_OUT);
    ++stats.source_reads;
    // From the first byte to the last one sent: the time the throttle governs (not the BEGIN, TRUNCATE or COMMIT).
    std::optional<TokenBucket::Copying> copying(std::in_place, opts.bucket);
    std::string batch;
    batch.reserve(kTargetChunkBytes + 65536);
    auto flush = [&] {
      if (batch.empty()) return;
      if (opts.bucket) opts.bucket->acquire(static_cast<int64_t>(batch.size()));
      put(target, batch.data(), batch.size(), in_sql);
      stats.bytes += batch.size();
      if (opts.progress_bytes) opts.progress_bytes->fetch_add(batch.size(), std::memory_order_relaxed);
      batch.clear();
      if (opts.after_target_chunk) opts.after_target_chunk(1, stats.bytes);
    };
    while (true) {
      char* row = nullptr;
      int n = PQgetCopyData(source.raw(), &row, /*async=*/1);
      if (n > 0) {
        batch.append(row, static_cast<size_t>(n));
        PQfreemem(row);
        if (batch.size() >= kTargetChunkBytes) flush();
      } else if (n == 0) {  // nothing buffered from the source: use the wait to feed the target
        flush();
        pollfd p{PQsocket(source.raw()), POLLIN, 0};
        (void)poll(&p, 1, 1000);
        if (!PQconsumeInput(source.raw())) source.fail(nullptr, out_sql);
      } else if (n == -1) {
        finish_copy(source, out_sql);
        break;
      } else {
        source.fail(nullptr, out_sql);
      }
    }
    flush();
    if (PQputCopyEnd(target.raw(), nullptr) != 1) target.fail(nullptr, in_sql);
    copying.reset();
    finish_copy(target, in_sql);
    target.run("COMMIT");
  } catch (...) {
    abort_copy_in(target);
    rollback_quietly(target);
    throw;
  }
  return stats;
}

ShardCopyStats copy_spooled(const PgConn& source, PgConn& target, const std::function<PgConn()>& reconnect_target,
                            const ShardDdl& ddl, const ShardCopyOptions& opts) {
  ShardCopyStats stats;
  const std::string out_sql =
      "COPY " + ddl.relation + " (" + ddl.copy_columns + ") TO STDOUT " + copy_options(opts.binary, false);
  const std::string in_sql =
      "COPY " + ddl.relation + " (" + ddl.copy_columns + ") FROM STDIN " + copy_options(opts.binary, true);
  Spool spool(opts.spool_dir);
  std::exception_ptr source_error;                                // written by the reader, read after join()
  CancelHandle cancel(PQgetCancel(source.raw()), &PQfreeCancel);  // made before the reader owns `source`
  ++stats.source_reads;
  // The reader owns `source` until joined; the spool is its only channel to this thread.
  std::thread reader([&] {
    try {
      start_copy(source, out_sql, PGRES_COPY_OUT);
      std::string batch;
      batch.reserve(kSpoolAppendBytes + 65536);
      while (true) {
        char* row = nullptr;
        int n = PQgetCopyData(source.raw(), &row, /*async=*/0);
        if (n > 0) {
          batch.append(row, static_cast<size_t>(n));
          PQfreemem(row);
          if (batch.size() >= kSpoolAppendBytes) {
            spool.append(batch);
            batch.clear();
          }
        } else if (n == -1) {
          finish_copy(source, out_sql);
          break;
        } else {
          source.fail(nullptr, out_sql);
        }
      }
      spool.append(batch);
      spool.finish();
    } catch (const std::exception& e) {
      source_error = std::current_exception();
      spool.fail(e.what());
    }
  });
  auto stop_reader = [&] {
    if (!reader.joinable()) return;
    cancel_query(cancel);  // the reader then fails its COPY and exits; harmless if it already finished
    reader.join();
  };

  std::vector<char> buf(kTargetChunkBytes);
  for (int attempt = 1;; ++attempt) {
    stats.target_attempts = attempt;
    uint64_t sent = 0;
    try {
      if (attempt > 1) target = reconnect_target();
      target.run("BEGIN; TRUNCATE " + ddl.relation);
      start_copy(target, in_sql, PGRES_COPY_IN);
      std::optional<TokenBucket::Copying> copying(std::in_place, opts.bucket);  // as in copy_direct
      while (true) {
        size_t n;
        try {
          n = spool.read(sent, buf.data(), buf.size());
        } catch (const std::exception& e) {
          throw SourceFailed(e.what());
        }
        if (n == 0) break;
        if (opts.bucket) opts.bucket->acquire(static_cast<int64_t>(n));
        put(target, buf.data(), n, in_sql);
        sent += n;
        if (opts.progress_bytes) opts.progress_bytes->fetch_add(n, std::memory_order_relaxed);
        if (opts.after_target_chunk) opts.after_target_chunk(attempt, sent);
      }
      if (PQputCopyEnd(target.raw(), nullptr) != 1) target.fail(nullptr, in_sql);
      copying.reset();
      finish_copy(target, in_sql);
      target.run("COMMIT");
      stats.bytes = sent;
      break;
    } catch (const SourceFailed&) {
      abort_copy_in(target);
      rollback_quietly(target);
      reader.join();
      if (source_error) std::rethrow_exception(source_error);
      throw;
    } catch (const PgError& e) {
      abort_copy_in(target);
      rollback_quietly(target);
      if (opts.progress_bytes) opts.progress_bytes->fetch_sub(sent, std::memory_order_relaxed);
      if (attempt >= opts.max_target_attempts) {
        stop_reader();
        throw;
      }
      std::fprintf(stderr, "pgmove: copy of %s into %s failed (attempt %d of %d): %s; retrying from the spool\n",
                   ddl.relation.c_str(), e.endpoint().c_str(), attempt, opts.max_target_attempts, e.what());
    } catch (...) {
      abort_copy_in(target);
      rollback_quietly(target);
      stop_reader();
      throw;
    }
  }
  reader.join();
  if (source_error) std::rethrow_exception(source_error);
  return stats;
}

}  // namespace

ShardCopyStats copy_shard_rows(const PgConn& source, PgConn& target, const std::function<PgConn()>& reconnect_target,
                               const ShardDdl& ddl, const ShardCopyOptions& opts) {
  if (opts.spool_dir.empty()) return copy_direct(source, target, ddl, opts);
  return copy_spooled(source, target, reconnect_target, ddl, opts);
}

}  // namespace pgload

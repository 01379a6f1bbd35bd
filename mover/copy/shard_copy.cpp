// COPY plumbing for a shard move. Direct mode pumps libpq's async COPY OUT into a blocking COPY IN, flushing the
// batch to the target whenever the source has nothing ready. Spool mode splits that at a file: a reader thread
// fills it from the source, this thread drains it into the target and can drain it again after a target failure.
#include "mover/copy/shard_copy.h"

#include <poll.h>

#include <cstdio>
#include <exception>
#include <memory>
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

ShardDdl read_shard_ddl(const PgConn& source, const std::string& schema, const std::string& table_name) {
  ShardDdl d;
  d.schema = schema;
  d.relation = quote_qualified(schema, table_name);
  const std::string rel = d.relation;
  auto cols = source.exec(
      "SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)"
      "   || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation"
      "           THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END"
      "   || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') "
      "STORED'"
      "           WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END"
      "   || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY a.attnum),"
      " string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FILTER (WHERE a.attgenerated = ''),"
      " (SELECT relreplident FROM pg_class WHERE oid = $1::regclass)::text,"
      " EXISTS (SELECT 1 FROM pg_index WHERE indrelid = $1::regclass AND (indisprimary OR indisreplident))"
      " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
      " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
      " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
      {rel});
  if (cols.rows() != 1 || cols.is_null(0, 0))
    throw PgError("shard table " + rel + " has no columns or does not exist", "42P01", source.endpoint(), "", false);
  d.create_table = "CREATE TABLE " + rel + " (" + cols.str(0, 0) + ")";
  d.copy_columns = cols.str(0, 1);
  std::string replident = cols.str(0, 2);
  bool pk_or_identity_index = cols.boolean(0, 3);
  d.has_replica_identity = replident == "f" || (replident != "n" && pk_or_identity_index);

  auto cons = source.exec(
      "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', $1::text, conname, pg_get_constraintdef(oid)), contype = "
      "'f'"
      " FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'c', 'x', 'f')"
      " ORDER BY contype = 'f', contype DESC, conname",
      {rel});
  for (int i = 0; i < cons.rows(); ++i) (cons.boolean(i, 1) ? d.foreign_keys : d.post_data).push_back(cons.str(i, 0));
  auto idx = source.exec(
      "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
      " WHERE i.indrelid = $1::regclass AND NOT EXISTS"
      "   (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"
      " ORDER BY c.relname",
      {rel});
  for (int i = 0; i < idx.rows(); ++i) d.post_data.push_back(idx.str(i, 0));
  if (replident == "f") d.post_data.push_back("ALTER TABLE " + rel + " REPLICA IDENTITY FULL");
  if (replident == "n") d.post_data.push_back("ALTER TABLE " + rel + " REPLICA IDENTITY NOTHING");
  if (replident == "i") {
    auto ri = source.scalar(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = $1::regclass AND i.indisreplident",
        {rel});
    if (ri) d.post_data.push_back("ALTER TABLE " + rel + " REPLICA IDENTITY USING INDEX " + quote_ident(*ri));
  }
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
  target.run("BEGIN");
  try {
    target.run("TRUNCATE " + ddl.relation);  // same transaction as the COPY: FREEZE is allowed
    start_copy(target, in_sql, PGRES_COPY_IN);
    start_copy(source, out_sql, PGRES_COPY_OUT);
    ++stats.source_reads;
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
      target.run("BEGIN");
      target.run("TRUNCATE " + ddl.relation);
      start_copy(target, in_sql, PGRES_COPY_IN);
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

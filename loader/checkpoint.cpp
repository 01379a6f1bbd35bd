// pgload.resumable_runs (one row per role, URL and table): written only as a decision rider (in the decision's
// transaction), read by --resume and `pgload status`. The run's advisory lock keeps two loads of the same URL and table
// from stepping together.
#include "loader/checkpoint.h"

#include <chrono>
#include <thread>

#include "common/json_text.h"
#include "common/pgload_schema.h"

namespace pgload {
namespace {

constexpr const char* kSelectSql =
    "SELECT url, table_name, source_etag, source_last_modified, source_size, source_mtime, byte_offset, line, "
    "rows_done, rejected, reject_file_bytes, step, finished_at IS NOT NULL, "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pgload.resumable_runs ";

// Keyed by role too: two roles loading the same URL into same-named tables never wait for each other.
constexpr const char* kLockSql =
    "SELECT pg_try_advisory_lock(hashtextextended('pgload-run:' || current_user || ' ' || $1 || ' ' || $2, 0))";

std::optional<std::string> or_null(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

ResumableRun run_of_row(const PgResult& r, int i) {
  ResumableRun run;
  run.url = r.str(i, 0);
  run.table = r.str(i, 1);
  run.identity = {r.opt(i, 2).value_or(""), r.opt(i, 3).value_or(""), r.opt(i, 4).value_or(""),
                  r.opt(i, 5).value_or("")};
  run.progress.byte_offset = static_cast<uint64_t>(r.i64(i, 6));
  run.progress.line = static_cast<uint64_t>(r.i64(i, 7));
  run.progress.rows = static_cast<uint64_t>(r.i64(i, 8));
  run.progress.rejected = static_cast<uint64_t>(r.i64(i, 9));
  run.progress.reject_file_bytes = static_cast<uint64_t>(r.i64(i, 10));
  run.progress.step = r.i64(i, 11);
  run.finished = r.boolean(i, 12);
  run.updated_at = r.str(i, 13);
  return run;
}

bool table_exists(const PgConn& c) { return c.scalar("SELECT to_regclass('pgload.resumable_runs')").has_value(); }

}  // namespace

void ensure_checkpoint_table(const PgConn& coordinator) { ensure_pgload_schema(coordinator); }

bool lock_run(const PgConn& session, const std::string& url, const std::string& table, int64_t wait_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    if (session.scalar(kLockSql, {url, table}) == "t") return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::optional<ResumableRun> find_run(const PgConn& coordinator, const std::string& url, const std::string& table) {
  if (!table_exists(coordinator)) return std::nullopt;
  auto r = coordinator.exec(std::string(kSelectSql) + "WHERE role = current_user AND url = $1 AND table_name = $2",
                            {url, table});
  if (r.rows() == 0) return std::nullopt;
  ResumableRun run = run_of_row(r, 0);
  auto cols = coordinator.exec(
      "SELECT c FROM pgload.resumable_runs, unnest(columns) WITH ORDINALITY AS u(c, n) "
      "WHERE role = current_user AND url = $1 AND table_name = $2 ORDER BY n",
      {url, table});
  for (int i = 0; i < cols.rows(); ++i) run.progress.columns.push_back(cols.str(i, 0));
  return run;
}

std::vector<ResumableRun> unfinished_runs(const PgConn& coordinator) {
  std::vector<ResumableRun> runs;
  if (!table_exists(coordinator)) return runs;
  auto r = coordinator.exec(std::string(kSelectSql) +
                            "WHERE role = current_user AND finished_at IS NULL ORDER BY updated_at, url, table_name");
  for (int i = 0; i < r.rows(); ++i) runs.push_back(run_of_row(r, i));
  return runs;
}

std::pair<std::string, Params> progress_statement(const ResumableRun& run) {
  const RunProgress& p = run.progress;
  std::string sql =
      "INSERT INTO pgload.resumable_runs (url, table_name, source_etag, source_last_modified, source_size, "
      "source_mtime, byte_offset, line, rows_done, rejected, reject_file_bytes, columns, step, finished_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, CASE WHEN $14 THEN now() END) "
      "ON CONFLICT (role, url, table_name) DO UPDATE SET source_etag = EXCLUDED.source_etag, "
      "source_last_modified = EXCLUDED.source_last_modified, source_size = EXCLUDED.source_size, "
      "source_mtime = EXCLUDED.source_mtime, byte_offset = EXCLUDED.byte_offset, line = EXCLUDED.line, "
      "rows_done = EXCLUDED.rows_done, rejected = EXCLUDED.rejected, reject_file_bytes = EXCLUDED.reject_file_bytes, "
      "columns = EXCLUDED.columns, step = EXCLUDED.step, finished_at = EXCLUDED.finished_at, updated_at = now(), "
      "started_at = CASE WHEN EXCLUDED.step = 1 THEN now() ELSE pgload.resumable_runs.started_at END";
  Params params{run.url,
                run.table,
                or_null(run.identity.etag),
                or_null(run.identity.last_modified),
                or_null(run.identity.size),
                or_null(run.identity.mtime),
                std::to_string(p.byte_offset),
                std::to_string(p.line),
                std::to_string(p.rows),
                std::to_string(p.rejected),
                std::to_string(p.reject_file_bytes),
                array_literal(p.columns),
                std::to_string(p.step),
                run.finished ? "true" : "false"};
  return {std::move(sql), std::move(params)};
}

std::string identity_change(const SourceIdentity& was, const SourceIdentity& now) {
  std::string out;
  auto compare = [&](const char* what, const std::string& a, const std::string& b, bool quoted) {
    if (a.empty() || a == b) return;
    const std::string q = quoted ? "\"" : "";
    out += (out.empty() ? "" : ", ") + std::string(what) + " was " + q + a + q + ", now " +
           (b.empty() ? std::string("unknown") : q + b + q);
  };
  // An HTTP identity has no mtime; a file's has no ETag: the size is called by the name its transport uses.
  const bool http = was.mtime.empty();
  compare("ETag", was.etag, now.etag, true);
  compare("Last-Modified", was.last_modified, now.last_modified, true);
  compare(http ? "Content-Length" : "size", was.size, now.size, false);
  compare("mtime", was.mtime, now.mtime, false);
  return out;
}

std::string status_text(const std::vector<ResumableRun>& runs) {
  if (runs.empty()) return "status: no unfinished checkpointed load\n";
  std::string out = "status: " + std::to_string(runs.size()) + " unfinished checkpointed load" +
                    (runs.size() == 1 ? "" : "s") + " (continue with the same command plus --resume)\n";
  for (const ResumableRun& r : runs)
    out += "  " + r.url + " -> " + r.table + ": " + std::to_string(r.progress.byte_offset) +
           (r.identity.size.empty() ? "" : " of " + r.identity.size) + " bytes, " + std::to_string(r.progress.rows) +
           " rows, " + std::to_string(r.progress.rejected) + " rejected, line " + std::to_string(r.progress.line) +
           ", " + std::to_string(r.progress.step) + " step(s), last step " + r.updated_at + "\n";
  return out;
}

std::string status_json(const std::vector<ResumableRun>& runs) {
  std::string out = "{\"runs\":[";
  for (size_t i = 0; i < runs.size(); ++i) {
    const ResumableRun& r = runs[i];
    out += (i ? "," : "") + std::string("{\"url\":") + json_quote(r.url) + ",\"table\":" + json_quote(r.table) +
           ",\"bytes_done\":" + std::to_string(r.progress.byte_offset) +
           ",\"source_bytes\":" + (r.identity.size.empty() ? "null" : r.identity.size) +
           ",\"rows_done\":" + std::to_string(r.progress.rows) +
           ",\"rejected\":" + std::to_string(r.progress.rejected) + ",\"line\":" + std::to_string(r.progress.line) +
           ",\"steps\":" + std::to_string(r.progress.step) + ",\"last_step_at\":" + json_quote(r.updated_at) + "}";
  }
  return out + "]}";
}

}  // namespace pgload

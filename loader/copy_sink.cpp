// Event loop over all worker connections: each connection runs COPY statements for its shards one batch at a
// time; libpq is in non-blocking mode and poll() tells which sockets can take more bytes or have answers.
#include "loader/copy_sink.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "loader/binary_row.h"
#include "loader/load_error.h"

namespace pgload {

namespace {
constexpr size_t kPutChunkBytes = size_t{256} * 1024;    // libpq buffers each put; bigger pieces only grow its buffer
constexpr size_t kPrefetchRows = 8;                      // take_copy_bytes: how far ahead rows are fetched
constexpr const char* kBatchSavepoint = "pgload_batch";  // --max-errors: every batch under it
constexpr const char* kPartSavepoint = "pgload_part";    // --max-errors: each replayed part of a refused batch

// The rows from `at` on that lie side by side in a piece, at most `room` bytes (the first part of a row longer than
// that); next_row == at.row when it is such a part.
struct CopyRun {
  const char* data;
  size_t bytes;
  size_t next_row;
};
CopyRun next_run(const Batch& b, const CopyCursor& at, size_t room) {
  const char* from = b.rows[at.row].data + at.row_offset;
  const size_t left = b.rows[at.row].bytes - at.row_offset;
  if (left > room) return {from, room, at.row};
  size_t n = left, next = at.row + 1;
  while (next < at.end && b.rows[next].data == from + n && n + b.rows[next].bytes <= room) n += b.rows[next++].bytes;
  return {from, n, next};
}

}  // namespace

std::string_view take_copy_bytes(const Batch& b, CopyCursor& at, std::string& out, size_t max_bytes) {
  out.clear();
  if (at.done) return {};
  if (!at.started) {
    at.started = true;
    if (b.binary) {  // alone, so that the rows after it can go as a view
      append_binary_header(out);
      return out;
    }
  }
  while (at.row < at.end && out.size() < max_bytes) {
    // A sorted batch's rows lie anywhere in its pieces: fetch the ones a few rows on while this one is copied.
    if (at.row + kPrefetchRows < at.end) {
      const BatchRow& ahead = b.rows[at.row + kPrefetchRows];
      __builtin_prefetch(ahead.data);
      __builtin_prefetch(ahead.data + 64);
      __builtin_prefetch(ahead.data + ahead.bytes - 1);  // a row of up to 129 bytes, wherever it starts in a line
    }
    const CopyRun run = next_run(b, at, max_bytes - out.size());
    if (!out.empty() && run.bytes >= kMinCopyViewBytes) return out;  // that run goes as a view in the next call
    if (run.next_row == at.row) {
      at.row_offset += run.bytes;
    } else {
      at.row = run.next_row;
      at.row_offset = 0;
    }
    if (out.empty() && run.bytes >= kMinCopyViewBytes) return {run.data, run.bytes};
    out.append(run.data, run.bytes);
  }
  if (at.row < at.end) return out;
  if (b.binary) append_binary_trailer(out);
  at.done = true;
  return out;
}

namespace {

// Runs one statement (or several) on a blocking session; returns the first error's result (the caller clears it)
// or nullptr, and the first statement's affected-row count or value in `first`.
PGresult* exec_all(PGconn* pg, const std::string& sql, std::string* first = nullptr) {
  if (!PQsendQuery(pg, sql.c_str())) return nullptr;
  PGresult* error = nullptr;
  bool seen = false;
  while (PGresult* r = PQgetResult(pg)) {
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      if (!error) {
        error = r;
        continue;
      }
    } else if (!seen && first) {
      *first = st == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : PQcmdTuples(r);
    }
    seen = true;
    PQclear(r);
  }
  return error;
}
}  // namespace

struct CopySink::Conn {
  PgConn pg;
  Node node;  // a copy: a later --checkpoint step may re-read the catalog's nodes while this one commits
  PGcancel* cancel = nullptr;
  std::atomic<int64_t> shard_id{0};  // the shard being copied, for the wait-die watcher's thread
  ~Conn() {
    if (cancel) PQfreeCancel(cancel);
  }
  int index = 0;                             // per node
  std::deque<std::shared_ptr<Batch>> queue;  // guarded by CopySink::mu_
  std::shared_ptr<Batch> current;
  CopyCursor sent;        // how far the current batch's COPY has got
  std::string put;        // bytes gathered from the batch's rows for PQputCopyData
  std::string_view next;  // the COPY's next bytes (in `put` or a view of a piece), until libpq takes them
  enum class State { Idle, WaitCopyIn, Sending, Ending, WaitResult, WaitApply } state = State::Idle;
  bool used = false;
  bool prepared = false;
  std::string gid;
  std::string staging;  // --on-conflict: this connection's staging table, once created
  int apply_results = 0;
  uint64_t batch_inserted = 0;          // the current batch's inserted rows (--on-conflict)
  std::vector<uint32_t> batch_refused;  // the current batch's refused rows (--max-errors)
};

CopySink::CopySink(const Catalog& catalog, const Table& table, SinkOptions options)
    : table_(table), options_(std::move(options)) {
  static std::atomic<int> sinks{0};
  sink_number_ = sinks.fetch_add(1);
  rows_per_shard_.assign(table.shards.size(), 0);
  std::map<int32_t, std::vector<Conn*>> by_group;
  std::string column_list;
  for (size_t i = 0; i < options_.columns.size(); ++i)
    column_list += (i ? ", " : "") + quote_ident(options_.columns[i]);

  for (size_t s = 0; s < table.shards.size(); ++s) {
    const Shard& shard = table.shards[s];
    if (shard.groups.empty())
      throw LoadError(kExitCluster, "shard " + std::to_string(shard.shard_id) + " of " + table.qualified() +
                                        " has no active placement (pg_dist_placement shardstate 1)");
    const std::string copy_into = "COPY " + table.shard_relation(shard.shard_id) + " (" + column_list + ") FROM STDIN";
    copy_sql_.push_back(copy_into + " WITH (" + options_.copy_options + ")");
    copy_binary_sql_.push_back(copy_into + " WITH (FORMAT binary)");
    std::vector<Conn*> placement_conns;
    for (int32_t group : shard.groups) {
      const Node* node = catalog.node_for_group(group);
      if (!node)
        throw LoadError(kExitCluster, "shard " + std::to_string(shard.shard_id) + " is placed on group " +
                                          std::to_string(group) + ", which has no active primary node in pg_dist_node");
      auto& group_conns = by_group[group];
      if (group_conns.empty()) {
        for (int i = 0; i < options_.connections_per_worker; ++i) {
          auto c = std::make_unique<Conn>();
          c->node = *node;
          c->index = i;
          try {
            c->pg = PgConn::connect(catalog.node_conninfo(*node),
                                    options_.age ? load_application_name(*options_.age) : "pgload");
            c->cancel = PQgetCancel(c->pg.raw());
            // Binary COPY takes text values in the client encoding (CSV batches name theirs): UTF-8, as validated.
            if (options_.binary) c->pg.run("SET client_encoding TO 'UTF8'");
            // A timestamptz without an offset must mean on the worker what it meant where it was routed.
            if (!table.time_zone.empty()) c->pg.run("SET TimeZone TO " + quote_literal(table.time_zone));
            if (options_.upsert.action != OnConflict::None) {
              // The staging tables are this worker's own: Citus must not send their DDL to other nodes.
              c->pg.run("SET citus.enable_ddl_propagation TO off");
              if (i == 0) ensure_staging_schema(c->pg);
            }
            c->pg.run("BEGIN");
            // A deferred constraint would refuse a row only at PREPARE, too late to reject just that row.
            if (options_.rejects.max_errors > 0) c->pg.run("SET CONSTRAINTS ALL IMMEDIATE");
          } catch (const PgError& e) {
            throw LoadError(kExitCluster,
                            "cannot open a COPY connection to worker " + node->endpoint() + ": " + e.server_message());
          }
          group_conns.push_back(c.get());
          conns_.push_back(std::move(c));
        }
      }
      // Shards of one node are spread over its connections in shard order.
      size_t shards_seen = 0;
      for (size_t t = 0; t < s; ++t)
        if (std::find(table.shards[t].groups.begin(), table.shards[t].groups.end(), group) !=
            table.shards[t].groups.end())
          ++shards_seen;
      placement_conns.push_back(group_conns[shards_seen % group_conns.size()]);
    }
    shard_conns_.push_back(std::move(placement_conns));
  }
  for (auto& c : conns_)
    if (PQsetnonblocking(c->pg.raw(), 1) != 0) throw LoadError(kExitCluster, "cannot set non-blocking mode");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  loop_ = std::thread([this] { event_loop(); });
  if (options_.age) {
    std::vector<std::pair<std::string, std::string>> workers;
    for (const auto& [group, conns] : by_group)
      workers.emplace_back(conns.front()->node.endpoint(), catalog.node_conninfo(conns.front()->node));
    watcher_ = std::make_unique<WaitDieWatcher>(std::move(workers), *options_.age,
                                                [this](const OlderLoadInTheWay& w) { give_way(w); });
  }
}

void CopySink::give_way(const OlderLoadInTheWay& w) {
  std::string shard;
  for (auto& c : conns_)
    if (c->node.endpoint() == w.endpoint && PQbackendPID(c->pg.raw()) == w.waiting_pid && c->shard_id.load() != 0)
      shard = " (shard " + std::to_string(c->shard_id.load()) + ")";
  fail("this load (run " + options_.age->run_id + ") gave way to the earlier load (run " + w.older.run_id +
           ") whose uncommitted rows it waited for on worker " + w.endpoint + shard +
           ": both write the same keys, and loads that wait for each other on different workers would wait "
           "forever; nothing was loaded; rerun when it has finished",
       kExitCluster);
  // The waiting COPY sits in a lock wait on the server and reads nothing more: cancel every statement of the load
  // so the rollback can go through.
  char err[256];
  for (auto& c : conns_)
    if (c->cancel) (void)PQcancel(c->cancel, err, sizeof err);
  wake();
}

CopySink::~CopySink() {
  if (watcher_) watcher_->stop();
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  wake();
  if (loop_.joinable()) loop_.join();
  if (!finished_) abort();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void CopySink::wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
}

void CopySink::submit(std::shared_ptr<Batch> batch) {
  const size_t bytes = batch->memory_bytes;
  std::unique_lock lock(mu_);
  space_cv_.wait(
      lock, [&] { return failed_ || inflight_bytes_ + bytes <= options_.max_inflight_bytes || inflight_bytes_ == 0; });
  if (failed_) throw LoadError(failure_code_, failure_);
  inflight_bytes_ += bytes;
  auto& conns = shard_conns_[batch->shard_index];
  batch->pending_placements.store(static_cast<int>(conns.size()));
  for (Conn* c : conns) c->queue.push_back(batch);
  lock.unlock();
  wake();
  fault_point("after_batch");
}

void CopySink::fail(const std::string& message, ExitCode code) {
  std::lock_guard lock(mu_);
  if (!failed_) {
    failed_ = true;
    failure_ = message;
    failure_code_ = code;
  }
  space_cv_.notify_all();
}

// Maps "COPY x_102008, line 12, column login: ..." back to the input's line, byte and column; an error without a
// line (an upsert's INSERT, a foreign key checked at the end of the COPY) names the batch's lines.
void CopySink::fail_with_result(Conn& c, PGresult* r, const char* doing) {
  WorkerError e = WorkerError::from(r, c.pg.raw());
  if (r) PQclear(r);
  std::string where;
  const Batch* b = c.current.get();
  int64_t shard_id = b ? table_.shards[b->shard_index].shard_id : 0;
  if (b && e.copy_line) {
    const size_t row = row_at_copy_line(b->rows, 0, b->rows.size(), *e.copy_line, b->binary);
    if (row < b->rows.size()) {
      const RowPlace o = b->place(row);
      where = "input " + (options_.input_names.size() > 1 ? options_.input_names[o.file] + " " : std::string()) +
              (options_.parquet ? "row group " + std::to_string(o.byte_offset) + ", row " + std::to_string(o.line)
                                : "line " + std::to_string(o.line) + " (byte " + std::to_string(o.byte_offset) + ")");
      if (!e.column.empty()) where += ", column " + e.column;
      where += ": ";
    }
  } else if (b && !b->rows.empty() && options_.upsert.action != OnConflict::None && !e.sqlstate.empty()) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t row = 0; row < b->rows.size(); ++row) {
      lo = std::min(lo, b->place(row).line);
      hi = std::max(hi, b->place(row).line);
    }
    where = "a row of the batch of input lines " + std::to_string(lo) + "-" + std::to_string(hi) + ": ";
  }
  if (where.empty() && !e.context.empty()) e.primary += " (server context: " + e.context + ")";
  bool lost = PQstatus(c.pg.raw()) != CONNECTION_OK;
  std::string msg = "worker " + c.node.endpoint() + " " + (lost ? "connection lost" : "rejected") + " while " + doing +
                    (shard_id ? " shard " + std::to_string(shard_id) : std::string()) + ": " + where + e.primary +
                    (e.sqlstate.empty() ? "" : " [SQLSTATE " + e.sqlstate + "]") + "; nothing was loaded";
  std::string hints;
  if (e.sqlstate == "23505" && options_.upsert.action == OnConflict::None)
    hints = "--on-conflict nothing|update loads over existing keys; ";
  if (e.is_row_error() && options_.rejects.max_errors == 0 && !lost)
    hints += "--max-errors N rejects up to N such rows and loads the rest; ";
  if (!hints.empty()) msg += " (" + hints.substr(0, hints.size() - 2) + ")";
  throw LoadError(kExitCluster, msg);
}

void CopySink::finish_batch(Conn& c) {
  Batch& b = *c.current;
  const bool first_placement = shard_conns_[b.shard_index].front() == &c;
  if (options_.rejects.max_errors > 0) {
    if (!b.refused) {
      b.refused = c.batch_refused;
    } else if (*b.refused != c.batch_refused) {
      throw LoadError(kExitCluster, "the placements of shard " + std::to_string(table_.shards[b.shard_index].shard_id) +
                                        " refused different rows of the same batch (worker " + c.node.endpoint() +
                                        "): its replicas differ; nothing was loaded");
    }
  }
  if (first_placement && options_.counts) {
    ApplyCounts& n = *options_.counts;
    const uint64_t accepted = b.rows.size() - c.batch_refused.size();
    switch (options_.upsert.action) {
      case OnConflict::None:
        n.inserted += accepted;
        break;
      case OnConflict::Nothing:
        n.inserted += c.batch_inserted;
        n.skipped += accepted - c.batch_inserted;
        break;
      case OnConflict::Update:
        // A key repeated in the batch is one INSERT row (the last wins); its earlier rows count as updates, as
        // they would row by row.
        n.inserted += c.batch_inserted;
        n.updated += accepted - c.batch_inserted;
        break;
    }
    if (!c.batch_refused.empty()) {
      n.refused += c.batch_refused.size();
      std::lock_guard lock(n.mu);
      n.refused_per_shard.resize(table_.shards.size());
      n.refused_per_shard[b.shard_index] += c.batch_refused.size();
    }
  }
  if (b.pending_placements.fetch_sub(1) == 1) {
    std::lock_guard lock(mu_);
    rows_per_shard_[b.shard_index] += b.rows.size() - (b.refused ? b.refused->size() : 0);
    inflight_bytes_ -= b.memory_bytes;
    space_cv_.notify_all();
  }
  c.current.reset();
  c.batch_inserted = 0;
  c.batch_refused.clear();
  c.state = Conn::State::Idle;
}

std::string CopySink::copy_statement(Conn& c, const Batch& b, bool savepoint) const {
  std::string sql = savepoint ? std::string("SAVEPOINT ") + kBatchSavepoint + "; " : std::string();
  if (options_.upsert.action == OnConflict::None) return sql + (b.binary ? copy_binary_sql_ : copy_sql_)[b.shard_index];
  return sql + "COPY " + c.staging + " FROM STDIN WITH (" + (b.binary ? "FORMAT binary" : options_.copy_options) + ")";
}

std::string CopySink::apply_statement(Conn& c, const Batch& b, bool release) const {
  std::string sql;
  if (options_.upsert.action != OnConflict::None)
    sql = apply_sql(options_.upsert, table_.shard_relation(table_.shards[b.shard_index].shard_id), c.staging,
                    b.keys_distinct) +
          "; TRUNCATE " + c.staging;
  if (release) sql += (sql.empty() ? "" : "; ") + std::string("RELEASE SAVEPOINT ") + kBatchSavepoint;
  return sql;
}

// A batch failed on `c`. With --max-errors and a refusal of row values, the refused rows are found and rejected
// and the rest of the batch applied; anything else fails the load.
void CopySink::batch_failed(Conn& c, PGresult* r, const char* doing) {
  if (options_.rejects.max_errors == 0 || PQstatus(c.pg.raw()) != CONNECTION_OK) fail_with_result(c, r, doing);
  const WorkerError e = WorkerError::from(r, c.pg.raw());
  if (!e.is_row_error()) fail_with_result(c, r, doing);
  isolate_refused_rows(c, r);
  finish_batch(c);
}

// Slow path, blocking: back to the batch's savepoint, then rows [lo, hi) each under a savepoint of its own, in input
// order (so a key repeated in the input is applied in order, as on the fast path): a part that fails is split at
// the row COPY names, or in halves when the error names none (a constraint checked by the INSERT of an upsert, a
// foreign key checked at the end of the statement), down to single rows, which are the refused ones. Costs a COPY
// per part: about (refused rows + 1) × log2(batch rows) statements.
void CopySink::isolate_refused_rows(Conn& c, PGresult* first_error) {
  PGconn* pg = c.pg.raw();
  if (first_error) PQclear(first_error);
  PQsetnonblocking(pg, 0);
  while (PGresult* r = PQgetResult(pg)) {
    const bool copy_in = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (copy_in) PQputCopyEnd(pg, "pgload: replaying the batch in parts");
  }
  const Batch& b = *c.current;
  auto must = [&](const std::string& sql) {
    if (PGresult* r = exec_all(pg, sql)) fail_with_result(c, r, "replaying a refused batch on");
    if (PQstatus(pg) != CONNECTION_OK) fail_with_result(c, nullptr, "replaying a refused batch on");
  };
  must(std::string("ROLLBACK TO SAVEPOINT ") + kBatchSavepoint);
  c.batch_inserted = 0;
  c.batch_refused.clear();
  std::vector<std::pair<size_t, size_t>> todo{{0, b.rows.size()}};  // a stack: the leftmost part on top
  while (!todo.empty()) {
    auto [lo, hi] = todo.back();
    todo.pop_back();
    if (lo >= hi) continue;
    uint64_t inserted = 0;
    std::optional<WorkerError> e = try_rows(c, lo, hi, inserted);
    if (!e) {
      c.batch_inserted += inserted;
      continue;
    }
    if (hi - lo == 1) {
      refuse_row(c, lo, *e);
      continue;
    }
    size_t bad = e->copy_line ? row_at_copy_line(b.rows, lo, hi, *e->copy_line, b.binary) : hi;
    if (bad < hi) {
      refuse_row(c, bad, *e);
      todo.emplace_back(bad + 1, hi);
      todo.emplace_back(lo, bad);
    } else {
      const size_t mid = lo + (hi - lo) / 2;
      todo.emplace_back(mid, hi);
      todo.emplace_back(lo, mid);
    }
  }
  std::sort(c.batch_refused.begin(), c.batch_refused.end());
  must(std::string("RELEASE SAVEPOINT ") + kBatchSavepoint);
  PQsetnonblocking(pg, 1);
}

// Rows [lo, hi) of the current batch as one COPY (and apply) under a savepoint: nullopt when they went in; the
// error (after rolling them back) when a row's values were refused; LoadError for any other failure.
std::optional<WorkerError> CopySink::try_rows(Conn& c, size_t lo, size_t hi, uint64_t& inserted) {
  PGconn* pg = c.pg.raw();
  const Batch& b = *c.current;
  auto must = [&](const std::string& sql) {
    if (PGresult* r = exec_all(pg, sql)) fail_with_result(c, r, "replaying a refused batch on");
  };
  must(std::string("SAVEPOINT ") + kPartSavepoint);
  PGresult* error = nullptr;
  PGresult* r = PQexec(pg, copy_statement(c, b, false).c_str());
  if (!r || PQresultStatus(r) != PGRES_COPY_IN) fail_with_result(c, r, "replaying a refused batch on");
  PQclear(r);
  bool sent = true;
  CopyCursor at{.row = lo, .end = hi};
  while (sent && !at.done) {
    const std::string_view part = take_copy_bytes(b, at, c.put, kPutChunkBytes);
    sent = part.empty() || PQputCopyData(pg, part.data(), static_cast<int>(part.size())) == 1;
  }
  if (!sent || PQputCopyEnd(pg, nullptr) != 1) fail_with_result(c, nullptr, "replaying a refused batch on");
  while ((r = PQgetResult(pg)) != nullptr) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !error)
      error = r;
    else
      PQclear(r);
  }
  if (!error && options_.upsert.action != OnConflict::None) {
    std::string first;
    error = exec_all(pg, apply_statement(c, b, false), &first);
    if (!error) inserted = std::strtoull(first.c_str(), nullptr, 10);
  } else if (!error) {
    inserted = hi - lo;
  }
  if (!error) {
    must(std::string("RELEASE SAVEPOINT ") + kPartSavepoint);
    return std::nullopt;
  }
  if (PQstatus(pg) != CONNECTION_OK) fail_with_result(c, error, "replaying a refused batch on");
  WorkerError e = WorkerError::from(error, pg);
  if (!e.is_row_error()) fail_with_result(c, error, "replaying a refused batch on");
  PQclear(error);
  must(std::string("ROLLBACK TO SAVEPOINT ") + kPartSavepoint + "; RELEASE SAVEPOINT " + kPartSavepoint);
  return e;
}

// One refused row: counted against --max-errors and written to the reject file by the shard's first placement
// (the others must refuse the same rows, see finish_batch).
void CopySink::refuse_row(Conn& c, size_t row, const WorkerError& e) {
  c.batch_refused.push_back(static_cast<uint32_t>(row));
  const Batch& b = *c.current;
  if (shard_conns_[b.shard_index].front() != &c) return;
  const RowPlace o = b.place(row);
  const int64_t shard_id = table_.shards[b.shard_index].shard_id;
  // As the client's own rejects say it (loader/pipeline.cpp).
  const std::string column = e.column.empty() ? "" : ", column " + e.column;
  const std::string where =
      (options_.input_names.size() > 1 ? options_.input_names[o.file] + ": " : std::string()) +
      (options_.parquet ? "row group " + std::to_string(o.byte_offset) + ", row " + std::to_string(o.line) + column
                        : "line " + std::to_string(o.line) + column + ", byte " + std::to_string(o.byte_offset));
  const std::string reason =
      "shard " + std::to_string(shard_id) + " on worker " + c.node.endpoint() + " refused it: " + e.describe(shard_id);
  const WorkerRejects& w = options_.rejects;
  if (std::FILE* f = w.reject_file) {
    flockfile(f);
    std::fprintf(f, "# %s: %s\n", where.c_str(), reason.c_str());
    if (!b.binary) std::fwrite(b.rows[row].data, 1, b.rows[row].bytes, f);  // the row as sent, its '\n' included
    funlockfile(f);
  }
  const uint64_t total = w.rejected ? w.rejected->fetch_add(1) + 1 : 1;
  if (total > static_cast<uint64_t>(w.max_errors))
    throw LoadError(kExitInputErrors, where + ": " + reason + "\n(" + std::to_string(total) +
                                          " rows rejected so far; --max-errors is " + std::to_string(w.max_errors) +
                                          ")\nnothing was loaded");
}

bool CopySink::advance(Conn& c) {
  PGconn* pg = c.pg.raw();
  const bool savepoints = options_.rejects.max_errors > 0;
  switch (c.state) {
    case Conn::State::Idle: {
      std::unique_lock lock(mu_);
      if (c.queue.empty()) return false;
      c.current = std::move(c.queue.front());
      c.queue.pop_front();
      lock.unlock();
      c.sent = CopyCursor{.end = c.current->rows.size()};
      c.next = {};
      c.used = true;
      c.shard_id.store(table_.shards[c.current->shard_index].shard_id);
      if (options_.upsert.action != OnConflict::None && c.staging.empty()) {
        // Once per connection, blocking: the staging table takes the loaded columns' types from a shard here.
        const std::string staging =
            staging_relation(options_.age ? options_.age->run_id : "pgload", sink_number_, c.node.node_id, c.index);
        if (PGresult* r = exec_all(
                pg, create_staging_sql(staging, table_.shard_relation(c.shard_id.load()), options_.upsert.columns)))
          fail_with_result(c, r, "creating the staging table for");
        c.staging = staging;
      }
      if (!PQsendQuery(pg, copy_statement(c, *c.current, savepoints).c_str()))
        fail_with_result(c, nullptr, "starting COPY into");
      c.state = Conn::State::WaitCopyIn;
      return true;
    }
    case Conn::State::WaitCopyIn: {
      if (PQflush(pg) < 0 || !PQconsumeInput(pg)) fail_with_result(c, nullptr, "starting COPY into");
      for (;;) {
        if (PQisBusy(pg)) return false;
        PGresult* r = PQgetResult(pg);
        if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {  // the batch's SAVEPOINT
          PQclear(r);
          continue;
        }
        if (!r || PQresultStatus(r) != PGRES_COPY_IN) fail_with_result(c, r, "starting COPY into");
        PQclear(r);
        break;
      }
      c.state = Conn::State::Sending;
      return true;
    }
    case Conn::State::Sending: {
      bool progressed = false;
      for (;;) {
        if (c.next.empty()) c.next = take_copy_bytes(*c.current, c.sent, c.put, kPutChunkBytes);
        if (c.next.empty()) break;
        int rc = PQputCopyData(pg, c.next.data(), static_cast<int>(c.next.size()));
        if (rc < 0) fail_with_result(c, nullptr, "sending COPY data to");
        if (rc == 0) return progressed;  // libpq's buffer is full: wait for POLLOUT (c.next is sent then)
        bytes_sent_.fetch_add(c.next.size(), std::memory_order_relaxed);
        c.next = {};
        progressed = true;
      }
      c.state = Conn::State::Ending;
      [[fallthrough]];
    }
    case Conn::State::Ending: {
      int rc = PQputCopyEnd(pg, nullptr);
      if (rc < 0) fail_with_result(c, nullptr, "ending COPY into");
      if (rc == 0) return false;
      c.state = Conn::State::WaitResult;
      [[fallthrough]];
    }
    case Conn::State::WaitResult: {
      int f = PQflush(pg);
      if (f < 0 || !PQconsumeInput(pg)) fail_with_result(c, nullptr, "finishing COPY into");
      if (f == 1 || PQisBusy(pg)) return false;
      PGresult* r = PQgetResult(pg);
      if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        batch_failed(c, r, "copying into");
        return true;
      }
      PQclear(r);
      while ((r = PQgetResult(pg)) != nullptr) PQclear(r);
      const std::string apply = apply_statement(c, *c.current, savepoints);
      if (apply.empty()) {
        finish_batch(c);
        return true;
      }
      if (!PQsendQuery(pg, apply.c_str())) fail_with_result(c, nullptr, "applying a batch to");
      c.apply_results = 0;
      c.state = Conn::State::WaitApply;
      return true;
    }
    case Conn::State::WaitApply: {
      if (PQflush(pg) < 0 || !PQconsumeInput(pg)) fail_with_result(c, nullptr, "applying a batch to");
      while (!PQisBusy(pg)) {
        PGresult* r = PQgetResult(pg);
        if (!r) {
          finish_batch(c);
          return true;
        }
        const auto st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
          batch_failed(c, r, "applying a batch to");
          return true;
        }
        if (c.apply_results++ == 0 && options_.upsert.action != OnConflict::None)
          c.batch_inserted = std::strtoull(
              st == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : PQcmdTuples(r), nullptr, 10);
        PQclear(r);
      }
      return false;
    }
  }
  return false;
}

void CopySink::event_loop() {
  std::vector<pollfd> fds;
  try {
    for (;;) {
      bool progressed = true;
      while (progressed) {
        progressed = false;
        for (auto& c : conns_) progressed |= advance(*c);
      }
      {
        std::lock_guard lock(mu_);
        if (failed_) return;
        bool idle = true;
        for (auto& c : conns_) idle &= c->state == Conn::State::Idle && c->queue.empty();
        if (closing_ && idle) return;
      }
      fds.clear();
      fds.push_back({wake_fd_, POLLIN, 0});
      for (auto& c : conns_) {
        short ev = 0;
        if (c->state != Conn::State::Idle) {
          ev |= POLLIN;
          // Ask for POLLOUT only while libpq holds unsent bytes, or an idle-flushed socket would spin the loop.
          bool blocked = c->state == Conn::State::Sending || c->state == Conn::State::Ending;
          if (blocked || PQflush(c->pg.raw()) == 1) ev |= POLLOUT;
        }
        fds.push_back({PQsocket(c->pg.raw()), ev, 0});
      }
      if (poll(fds.data(), fds.size(), 200) > 0 && (fds[0].revents & POLLIN)) {
        uint64_t v;
        (void)!read(wake_fd_, &v, sizeof v);
      }
    }
  } catch (const LoadError& e) {
    fail(e.what(), e.code());
  } catch (const std::exception& e) {
    fail(e.what(), kExitCluster);
  }
}

void CopySink::finish_copies() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  wake();
  if (loop_.joinable()) loop_.join();
  if (watcher_) watcher_->stop();  // every COPY is done: nothing of this load waits any more
  std::lock_guard lock(mu_);
  if (failed_) {
    abort();
    throw LoadError(failure_code_, failure_);
  }
}

std::optional<std::string> CopySink::commit(const TwoPhaseRun& two_phase,
                                            const std::function<void()>& before_decision) {
  finish_copies();
  std::vector<PreparedTxn> prepared;
  try {
    fault_point("before_prepare");
    for (auto& c : conns_) {
      PQsetnonblocking(c->pg.raw(), 0);
      if (!c->used) {
        c->pg.run("ROLLBACK");  // nothing written here: nothing to commit
        continue;
      }
      // The staging table goes with this transaction: nothing of it is left once it is prepared.
      if (!c->staging.empty()) c->pg.run("DROP TABLE " + c->staging);
      c->gid = two_phase.gid(c->node.node_id, c->index);
      c->pg.run("PREPARE TRANSACTION " + quote_literal(c->gid));
      c->prepared = true;
      prepared.push_back({c->gid, c->node.endpoint()});
      fault_point("after_prepare");
    }
  } catch (const PgError& e) {
    abort();
    throw LoadError(kExitCluster, "PREPARE TRANSACTION failed on " + e.endpoint() + ": " + e.server_message() +
                                      "; every shard was rolled back, nothing was loaded");
  }
  try {
    if (before_decision) before_decision();
  } catch (const LoadError&) {
    abort();
    throw;
  }
  try {
    two_phase.record_decision(prepared);
  } catch (const PgError& e) {
    if (!e.connection_lost()) {
      abort();
      throw LoadError(kExitCluster, "could not record the commit decision on the coordinator: " + e.server_message() +
                                        "; every shard was rolled back, nothing was loaded");
    }
    finished_ = true;
    throw LoadError(kExitInDoubt, "lost the coordinator while recording the commit decision (run " +
                                      two_phase.run_id() + "): run `pgload recover` to finish or roll back");
  }
  fault_point("after_decision");
  std::string in_doubt;
  for (auto& c : conns_) {
    if (!c->prepared) continue;
    try {
      c->pg.run("COMMIT PREPARED " + quote_literal(c->gid));
      c->prepared = false;
      fault_point("after_commit");
    } catch (const PgError& e) {
      in_doubt += " " + c->node.endpoint() + " (" + c->gid + ")";
    }
  }
  finished_ = true;
  if (!in_doubt.empty())
    throw LoadError(kExitInDoubt, "the load is committed but COMMIT PREPARED did not finish on" + in_doubt +
                                      "; run `pgload recover` to finish it");
  if (fault_requested("lose_coordinator_after_commit")) two_phase.lose_session_for_fault();
  return two_phase.forget_decision();
}

void CopySink::abort() noexcept {
  for (auto& c : conns_) {
    try {
      if (PQstatus(c->pg.raw()) != CONNECTION_OK) continue;
      PQsetnonblocking(c->pg.raw(), 0);
      if (c->state != Conn::State::Idle) {
        // Abandon a COPY in progress: the server rolls the statement back.
        // A COPY whose start was sent but not yet answered turns into COPY_IN only now: end that one too, or the
        // server waits for data forever.
        PQputCopyEnd(c->pg.raw(), "pgload aborted");
        while (PGresult* r = PQgetResult(c->pg.raw())) {
          bool copy_in = PQresultStatus(r) == PGRES_COPY_IN;
          PQclear(r);
          if (copy_in) PQputCopyEnd(c->pg.raw(), "pgload aborted");
        }
        c->state = Conn::State::Idle;
      }
      if (c->prepared) {
        c->pg.run("ROLLBACK PREPARED " + quote_literal(c->gid));
        c->prepared = false;
      } else {
        PGresult* r = PQexec(c->pg.raw(), "ROLLBACK");
        PQclear(r);
      }
    } catch (...) {
      // A prepared transaction we could not roll back is left for `pgload recover` (no decision was recorded).
    }
  }
  finished_ = true;
}

}  // namespace pgload

// Event loop over all worker connections: each connection runs COPY statements for its shards one batch at a
// time; libpq is in non-blocking mode and poll() tells which sockets can take more bytes or have answers.
#include "loader/copy_sink.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <regex>
#include <utility>

#include "loader/load_error.h"

namespace pgload {

namespace {
constexpr size_t kPutChunkBytes = size_t{256} * 1024;  // libpq buffers each put; bigger pieces only grow its buffer
}

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
  size_t sent = 0;
  enum class State { Idle, WaitCopyIn, Sending, Ending, WaitResult } state = State::Idle;
  bool used = false;
  bool prepared = false;
  std::string gid;
};

CopySink::CopySink(const Catalog& catalog, const Table& table, SinkOptions options)
    : table_(table), options_(std::move(options)) {
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
            c->pg.run("BEGIN");
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
  const size_t bytes = batch->data.size();
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

// Maps "COPY x_102008, line 12, column login: ..." back to the input's line, byte and column.
void CopySink::fail_with_result(Conn& c, PGresult* r, const char* doing) {
  std::string primary, context, state;
  if (r) {
    if (const char* m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) primary = m;
    if (const char* d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) primary += std::string(" (") + d + ")";
    if (const char* x = PQresultErrorField(r, PG_DIAG_CONTEXT)) context = x;
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) state = s;
  }
  if (primary.empty()) {
    primary = PQerrorMessage(c.pg.raw());
    while (!primary.empty() && (primary.back() == '\n' || primary.back() == ' ')) primary.pop_back();
  }
  if (r) PQclear(r);
  std::string where;
  const Batch* b = c.current.get();
  int64_t shard_id = b ? table_.shards[b->shard_index].shard_id : 0;
  static const std::regex line_re(R"(line (\d+)(?:, column ([^:]+))?)");
  std::smatch m;
  if (b && std::regex_search(context, m, line_re)) {
    // PostgreSQL's COPY line number counts quoted newlines too, but only once the stream's end-of-line style
    // is known, i.e. not inside the first record (copyfromparse.c counts them only when eol_type is set).
    // A binary COPY's "line" is the row number.
    const uint64_t n = std::stoull(m[1].str());
    size_t row = b->binary && n >= 1 ? static_cast<size_t>(n - 1) : b->rows.size();
    uint64_t pg_line = 0;
    for (size_t i = 0; i < b->rows.size() && !b->binary; ++i) {
      pg_line += 1 + (i > 0 ? b->rows[i].newlines : 0);
      if (pg_line >= n) {
        row = i;
        break;
      }
    }
    if (row < b->rows.size()) {
      where = "input line " + std::to_string(b->rows[row].line) + " (byte " + std::to_string(b->rows[row].byte_offset) +
              ")";
      if (m[2].matched) where += ", column " + m[2].str();
      where += ": ";
    }
  }
  if (where.empty() && !context.empty()) primary += " (server context: " + context + ")";
  bool lost = PQstatus(c.pg.raw()) != CONNECTION_OK;
  std::string msg = "worker " + c.node.endpoint() + " " + (lost ? "connection lost" : "rejected") + " while " + doing +
                    (shard_id ? " shard " + std::to_string(shard_id) : std::string()) + ": " + where + primary +
                    (state.empty() ? "" : " [SQLSTATE " + state + "]") + "; nothing was loaded";
  throw LoadError(kExitCluster, msg);
}

void CopySink::finish_batch(Conn& c) {
  Batch& b = *c.current;
  if (b.pending_placements.fetch_sub(1) == 1) {
    std::lock_guard lock(mu_);
    rows_per_shard_[b.shard_index] += b.rows.size();
    inflight_bytes_ -= b.data.size();
    space_cv_.notify_all();
  }
  c.current.reset();
  c.sent = 0;
  c.state = Conn::State::Idle;
}

bool CopySink::advance(Conn& c) {
  PGconn* pg = c.pg.raw();
  switch (c.state) {
    case Conn::State::Idle: {
      std::unique_lock lock(mu_);
      if (c.queue.empty()) return false;
      c.current = std::move(c.queue.front());
      c.queue.pop_front();
      lock.unlock();
      c.used = true;
      c.shard_id.store(table_.shards[c.current->shard_index].shard_id);
      const auto& sql = c.current->binary ? copy_binary_sql_ : copy_sql_;
      if (!PQsendQuery(pg, sql[c.current->shard_index].c_str())) fail_with_result(c, nullptr, "starting COPY into");
      c.state = Conn::State::WaitCopyIn;
      return true;
    }
    case Conn::State::WaitCopyIn: {
      if (PQflush(pg) < 0 || !PQconsumeInput(pg)) fail_with_result(c, nullptr, "starting COPY into");
      if (PQisBusy(pg)) return false;
      PGresult* r = PQgetResult(pg);
      if (!r || PQresultStatus(r) != PGRES_COPY_IN) fail_with_result(c, r, "starting COPY into");
      PQclear(r);
      c.state = Conn::State::Sending;
      return true;
    }
    case Conn::State::Sending: {
      bool progressed = false;
      const std::string& data = c.current->data;
      while (c.sent < data.size()) {
        size_t n = std::min(kPutChunkBytes, data.size() - c.sent);
        int rc = PQputCopyData(pg, data.data() + c.sent, static_cast<int>(n));
        if (rc < 0) fail_with_result(c, nullptr, "sending COPY data to");
        if (rc == 0) return progressed;  // libpq's buffer is full: wait for POLLOUT
        c.sent += n;
        bytes_sent_.fetch_add(n, std::memory_order_relaxed);
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
      if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) fail_with_result(c, r, "copying into");
      PQclear(r);
      while ((r = PQgetResult(pg)) != nullptr) PQclear(r);
      finish_batch(c);
      return true;
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

std::optional<std::string> CopySink::commit(const TwoPhaseRun& two_phase,
                                            const std::function<void()>& before_decision) {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  wake();
  if (loop_.joinable()) loop_.join();
  if (watcher_) watcher_->stop();  // every COPY is done: nothing of this load waits any more
  {
    std::lock_guard lock(mu_);
    if (failed_) {
      abort();
      throw LoadError(failure_code_, failure_);
    }
  }
  std::vector<PreparedTxn> prepared;
  try {
    fault_point("before_prepare");
    for (auto& c : conns_) {
      PQsetnonblocking(c->pg.raw(), 0);
      if (!c->used) {
        c->pg.run("ROLLBACK");  // nothing written here: nothing to commit
        continue;
      }
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

// Shard move execution. Local backend: journal -> create target tables -> copy (under a write lock, or under an
// exported snapshot plus a subscription) -> indexes -> verify -> switch pg_dist_placement and the journal in one
// coordinator transaction -> drop the source. Citus backend: citus_move_shard_placement does all of it.
#include "mover/executor.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "mover/move_journal.h"
#include "mover/shard_copy.h"
#include "mover/token_bucket.h"

namespace pgload {

const char* transfer_mode_name(TransferMode mode) noexcept {
  return mode == TransferMode::Logical ? "force_logical" : "block_writes";
}

namespace {

using Clock = std::chrono::steady_clock;

// One table's shard inside a colocation unit.
struct UnitShard {
  int64_t shard_id = 0;
  std::string schema, table_name;  // shard table name (<table>_<shardid>), unquoted
  std::string relation;            // quoted schema.table
  std::string logical_relation;    // the distributed table on the coordinator, quoted
};

// A validated request: the unit's shards and both nodes.
struct MoveUnit {
  MoveRequest request;
  Node source, target;
  int32_t colocation_id = 0;
  std::vector<UnitShard> shards;
  std::vector<int64_t> shard_ids() const {
    std::vector<int64_t> ids;
    for (auto& s : shards) ids.push_back(s.shard_id);
    return ids;
  }
  std::vector<std::string> relations() const {
    std::vector<std::string> r;
    for (auto& s : shards) r.push_back(s.relation);
    return r;
  }
  std::string what() const {
    return "shard " + std::to_string(request.shard_id) + " from " + source.endpoint() + " to " + target.endpoint();
  }
};

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string bigint_array(const std::vector<int64_t>& ids) {
  std::string s = "{";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "}";
}

std::string coordinator_conninfo(const Catalog& catalog) {
  Node n;
  n.host = catalog.coordinator().host();
  n.port = catalog.coordinator().port();
  return catalog.node_conninfo(n);
}

// Names of the logical replication objects of a move (publication and slot on the source, subscription on the
// target); derived from the journal's move id so recovery can find them.
std::string replication_name(int64_t move_id) { return "pgload_move_" + std::to_string(move_id); }

std::vector<MoveUnit> validate(const Catalog& catalog, const std::vector<MoveRequest>& requests) {
  struct Where {
    size_t table;
    size_t index;
  };
  auto tables = catalog.tables();
  std::map<int64_t, Where> by_shard;
  for (size_t t = 0; t < tables.size(); ++t)
    for (size_t i = 0; i < tables[t].shards.size(); ++i) by_shard[tables[t].shards[i].shard_id] = {t, i};

  std::vector<MoveUnit> units;
  std::set<int64_t> taken;
  for (const auto& req : requests) {
    const std::string sid = std::to_string(req.shard_id);
    auto it = by_shard.find(req.shard_id);
    if (it == by_shard.end())
      throw std::runtime_error("cannot move shard " + sid + ": no such shard in pg_dist_shard on the coordinator " +
                               catalog.coordinator().endpoint());
    const Table& table = tables[it->second.table];
    if (table.is_reference())
      throw std::runtime_error("cannot move shard " + sid + " of reference table " + table.qualified() +
                               ": reference tables have a copy on every node");
    const Node* src = catalog.find_node(req.source_host, req.source_port);
    const Node* dst = catalog.find_node(req.target_host, req.target_port);
    std::string src_ep = req.source_host + ":" + std::to_string(req.source_port);
    std::string dst_ep = req.target_host + ":" + std::to_string(req.target_port);
    if (!src) throw std::runtime_error("cannot move shard " + sid + ": source node " + src_ep + " is not in pg_dist_node");
    if (!dst) throw std::runtime_error("cannot move shard " + sid + ": target node " + dst_ep + " is not in pg_dist_node");
    if (src->group_id == dst->group_id)
      throw std::runtime_error("cannot move shard " + sid + " from " + src_ep + " to " + dst_ep +
                               ": source and target are the same node group");
    if (!dst->is_active || dst->role != "primary")
      throw std::runtime_error("cannot move shard " + sid + ": target node " + dst_ep + " is not an active primary");
    MoveUnit unit;
    unit.request = req;
    unit.source = *src;
    unit.target = *dst;
    unit.colocation_id = table.colocation_id;
    size_t index = it->second.index;
    for (const auto& t : tables) {
      bool member = &t == &table || (t.colocation_id == table.colocation_id && t.colocation_id != 0 &&
                                     !t.is_reference() && t.shards.size() == table.shards.size());
      if (!member) continue;
      const Shard& s = t.shards[index];
      auto has = [&](int32_t g) { return std::find(s.groups.begin(), s.groups.end(), g) != s.groups.end(); };
      if (!has(src->group_id))
        throw std::runtime_error("cannot move shard " + std::to_string(s.shard_id) + ": it has no active placement on " +
                                 src_ep);
      if (has(dst->group_id))
        throw std::runtime_error("cannot move shard " + std::to_string(s.shard_id) + ": target " + dst_ep +
                                 " already holds a placement");
      if (!taken.insert(s.shard_id).second)
        throw std::runtime_error("shard " + std::to_string(s.shard_id) + " appears in more than one move");
      unit.shards.push_back(
          {s.shard_id, t.schema, t.shard_name(s.shard_id), t.shard_relation(s.shard_id), t.qualified()});
    }
    units.push_back(std::move(unit));
  }
  return units;
}

// Progress lines on stderr, one per running move, redrawn in place.
class ProgressBoard {
 public:
  struct Entry {
    std::string label;
    std::atomic<uint64_t> bytes{0};
    Clock::time_point start = Clock::now();
  };
  explicit ProgressBoard(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {
    if (enabled_) thread_ = std::thread([this] { run(); });
  }
  ~ProgressBoard() {
    if (!enabled_) return;
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  std::shared_ptr<Entry> add(std::string label) {
    auto e = std::make_shared<Entry>();
    e->label = std::move(label);
    std::lock_guard lock(mu_);
    entries_.push_back(e);
    return e;
  }
  void remove(const std::shared_ptr<Entry>& e) {
    std::lock_guard lock(mu_);
    entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
  }
  // Serializes stdout NOTICE lines with the redraw.
  std::mutex& output_mutex() { return out_mu_; }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      std::lock_guard out(out_mu_);
      for (int i = 0; i < drawn_; ++i) std::fputs("\x1b[1A\x1b[2K", stderr);
      drawn_ = 0;
      if (stop_) break;
      for (auto& e : entries_) {
        double s = std::chrono::duration<double>(Clock::now() - e->start).count();
        double mb = static_cast<double>(e->bytes.load(std::memory_order_relaxed)) / 1e6;
        std::fprintf(stderr, "  %s  %10.1f MB  %7.1f MB/s\n", e->label.c_str(), mb, s > 0 ? mb / s : 0.0);
        ++drawn_;
      }
      std::fflush(stderr);
    }
  }
  bool enabled_;
  std::mutex mu_, out_mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int drawn_ = 0;
  std::vector<std::shared_ptr<Entry>> entries_;
  std::thread thread_;
};

// Shared state of one execute_moves call.
struct Run {
  const Catalog& catalog;
  const ExecutorOptions& opts;
  std::string coordinator_conninfo;
  TokenBucket bucket;
  ProgressBoard board;
  std::mutex stats_mu;
  MoveSummary summary;
  // Citus takes a colocation-group lock per move ("could not acquire the lock required to move"): moves of one
  // group run one after another, different groups in parallel.
  std::mutex citus_mu;
  std::map<int32_t, std::mutex> citus_group_locks;
};

void notice(Run& run, const MoveUnit& u) {
  std::lock_guard lock(run.board.output_mutex());
  std::printf("NOTICE:  Moving shard %lld from %s to %s ...\n", static_cast<long long>(u.request.shard_id),
              u.source.endpoint().c_str(), u.target.endpoint().c_str());
  std::fflush(stdout);
}

void warn(Run& run, const std::string& msg) {
  std::lock_guard lock(run.board.output_mutex());
  std::fprintf(stderr, "pgmove: warning: %s\n", msg.c_str());
}

void step(const Run& run, const MoveUnit& u, std::string_view name) {
  if (run.opts.hooks.on_step) run.opts.hooks.on_step(u.request.shard_id, name);
}

void drop_subscription(const PgConn& target, const std::string& name) {
  auto exists = target.scalar("SELECT 1 FROM pg_subscription WHERE subname = $1", {name});
  if (!exists) return;
  // Detach the slot first so DROP SUBSCRIPTION does not reach out to the source; the slot is dropped there.
  target.run("ALTER SUBSCRIPTION " + quote_ident(name) + " DISABLE");
  target.run("ALTER SUBSCRIPTION " + quote_ident(name) + " SET (slot_name = NONE)");
  target.run("DROP SUBSCRIPTION " + quote_ident(name));
}

void drop_slot_and_publication(const PgConn& source, const std::string& name) {
  for (int i = 0; i < 200; ++i) {  // the walsender of a just-disabled subscription may take a moment to exit
    auto active = source.scalar("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {name});
    if (!active) break;
    if (*active == "f") {
      source.exec("SELECT pg_drop_replication_slot($1)", {name});
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  source.run("DROP PUBLICATION IF EXISTS " + quote_ident(name));
}

// Waits until the slot on the source confirmed everything up to the source's current WAL position.
void wait_for_catchup(const Run& run, const MoveUnit& u, const PgConn& source, const std::string& slot) {
  auto lsn = source.scalar("SELECT pg_current_wal_lsn()::text");
  auto deadline = Clock::now() + std::chrono::seconds(run.opts.catchup_timeout_s);
  while (true) {
    auto done = source.scalar(
        "SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2", {*lsn, slot});
    if (done && *done == "t") return;
    if (Clock::now() > deadline)
      throw std::runtime_error(u.what() + ": subscription " + slot + " on " + u.target.endpoint() +
                               " did not catch up to " + *lsn + " within " + std::to_string(run.opts.catchup_timeout_s) +
                               " s (see the target's server log)");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// On the coordinator's open transaction: blocks writes through the coordinator to the unit's tables, so that a
// writer waits there (where PostgreSQL sees and breaks deadlocks) and never inside a worker on the locked source
// shard while holding the coordinator table, which the switch's re-pointing of the foreign partition (DETACH)
// needs exclusively: that cross-server wait would be a deadlock nobody detects. Foreign partitions cannot be
// locked, so this is the partitioned table itself (ONLY: not its partitions); reads go on.
void lock_coordinator_tables(const PgConn& coord, const MoveUnit& u) {
  std::vector<std::string> names;
  for (const auto& s : u.shards) names.push_back("ONLY " + s.logical_relation);
  coord.run("LOCK TABLE " + join(names, ", ") + " IN EXCLUSIVE MODE");
}

void verify(const MoveUnit& u, const PgConn& source, const PgConn& target) {
  for (const auto& s : u.shards) {
    auto a = shard_checksum(source, s.relation);
    auto b = shard_checksum(target, s.relation);
    if (!(a == b))
      throw std::runtime_error("verification of shard " + std::to_string(s.shard_id) + " (" + s.relation +
                               ") failed: source " + u.source.endpoint() + " has " + std::to_string(a.rows) +
                               " rows (checksum " + a.sum + "), target " + u.target.endpoint() + " has " +
                               std::to_string(b.rows) + " rows (checksum " + b.sum + "); the move was aborted");
  }
}

// Re-throws the current exception with the move named in front, keeping PgError's details.
[[noreturn]] void rethrow_named(const MoveUnit& u) {
  try {
    throw;
  } catch (const PgError& e) {
    throw PgError("moving " + u.what() + " failed: " + e.server_message(), e.sqlstate(), e.endpoint(), e.query(),
                  e.connection_lost());
  } catch (const std::exception& e) {
    throw std::runtime_error("moving " + u.what() + " failed: " + e.what());
  }
}

void move_local(Run& run, const MoveUnit& u) {
  const auto& opts = run.opts;
  const bool logical = opts.mode == TransferMode::Logical;
  const std::string source_info = run.catalog.node_conninfo(u.source);
  const std::string target_info = run.catalog.node_conninfo(u.target);
  const std::string sid = std::to_string(u.request.shard_id);
  auto connect_target = [&] { return PgConn::connect(target_info, "pgmove-target-" + sid); };

  PgConn coord = PgConn::connect(run.coordinator_conninfo, "pgmove");
  MoveJournal journal(coord);
  const int64_t move_id = journal.begin(u.shard_ids(), u.relations(), u.source.group_id, u.target.group_id,
                                        logical ? "logical" : "block_writes");
  const std::string repl = replication_name(move_id);
  notice(run, u);
  auto progress = run.board.add(u.what());

  PgConn source, target;
  bool created_target = false, subscribed = false, published = false, switch_in_doubt = false;
  ShardCopyStats totals;
  try {
    source = PgConn::connect(source_info, "pgmove-source-" + sid);
    target = connect_target();
    std::vector<ShardDdl> ddls;
    for (const auto& s : u.shards) ddls.push_back(read_shard_ddl(source, s.schema, s.table_name));
    for (const auto& d : ddls) {
      auto there = target.scalar("SELECT to_regclass($1)::text", {d.relation});
      if (there)
        throw std::runtime_error("target " + u.target.endpoint() + " already has a table " + d.relation +
                                 " (not in pg_dist_placement); drop it or move elsewhere");
      if (logical && !d.has_replica_identity)
        throw std::runtime_error(d.relation + " has no primary key or replica identity, which logical mode needs "
                                 "to replicate updates and deletes; use block_writes");
    }
    if (logical) {
      auto wal = source.scalar("SHOW wal_level");
      if (!wal || *wal != "logical")
        throw std::runtime_error("logical mode needs wal_level = logical on source " + u.source.endpoint() +
                                 " (it is " + wal.value_or("?") + "); use block_writes");
    }
    created_target = true;  // from here on, cleanup drops what exists of the unit on the target
    for (const auto& d : ddls) {
      target.run("CREATE SCHEMA IF NOT EXISTS " + quote_ident(d.schema));
      target.run(d.create_table);
    }

    ShardCopyOptions copy_opts;
    copy_opts.binary = opts.binary_copy;
    copy_opts.spool_dir = opts.spool_dir;
    copy_opts.max_target_attempts = opts.max_target_attempts;
    copy_opts.bucket = &run.bucket;
    copy_opts.progress_bytes = &progress->bytes;
    auto copy_all = [&] {
      for (size_t i = 0; i < ddls.size(); ++i) {
        if (opts.hooks.after_target_chunk) {
          int64_t shard = u.shards[i].shard_id;
          copy_opts.after_target_chunk = [&, shard](int attempt, uint64_t bytes) {
            opts.hooks.after_target_chunk(shard, attempt, bytes);
          };
        }
        auto st = copy_shard_rows(source, target, connect_target, ddls[i], copy_opts);
        totals.bytes += st.bytes;
        totals.source_reads += st.source_reads;
        totals.target_attempts += st.target_attempts;
      }
      for (const auto& d : ddls)
        for (const auto& sql : d.post_data) target.run(sql);
    };
    auto add_foreign_keys = [&] {
      for (const auto& d : ddls)
        for (const auto& sql : d.foreign_keys) target.run(sql);
    };

    if (!logical) {
      // Writes wait from here to the end (coordinator faces first, then the shards themselves); reads go on.
      coord.run("BEGIN");
      lock_coordinator_tables(coord, u);
      source.run("BEGIN");
      source.run("LOCK TABLE " + join(u.relations(), ", ") + " IN EXCLUSIVE MODE");
      copy_all();
      add_foreign_keys();
      step(run, u, "copied");
    } else {
      source.run("CREATE PUBLICATION " + quote_ident(repl) + " FOR TABLE " + join(u.relations(), ", "));
      published = true;
      {
        // The slot's exported snapshot is valid while this replication connection stays open and idle.
        PgConn walsender = PgConn::connect(source_info + " replication=database", "pgmove-slot-" + sid);
        auto slot = walsender.exec("CREATE_REPLICATION_SLOT " + quote_ident(repl) + " LOGICAL pgoutput (SNAPSHOT 'export')");
        std::string snapshot = slot.str(0, slot.col("snapshot_name"));
        source.run("BEGIN ISOLATION LEVEL REPEATABLE READ");
        source.run("SET TRANSACTION SNAPSHOT " + quote_literal(snapshot));
        copy_all();
        source.run("COMMIT");
      }
      subscribed = true;
      target.run("CREATE SUBSCRIPTION " + quote_ident(repl) + " CONNECTION " + quote_literal(source_info) +
                 " PUBLICATION " + quote_ident(repl) + " WITH (create_slot = false, copy_data = false, slot_name = " +
                 quote_literal(repl) + ", enabled = true)");
      step(run, u, "copied");
      wait_for_catchup(run, u, source, repl);  // most of the backlog, writes still flowing
      coord.run("BEGIN");
      lock_coordinator_tables(coord, u);
      source.run("BEGIN");
      source.run("LOCK TABLE " + join(u.relations(), ", ") + " IN EXCLUSIVE MODE");
      wait_for_catchup(run, u, source, repl);  // the rest, writes blocked
      drop_subscription(target, repl);
      subscribed = false;
      add_foreign_keys();
    }

    verify(u, source, target);
    step(run, u, "switching");
    // The switch: placements and the journal flip together, so the journal never lies about who owns the data.
    auto upd = coord.exec(
        "UPDATE pg_catalog.pg_dist_placement SET groupid = $1::int WHERE shardid = ANY($2::bigint[]) AND groupid = $3::int",
        {std::to_string(u.target.group_id), bigint_array(u.shard_ids()), std::to_string(u.source.group_id)});
    std::string updated = PQcmdTuples(upd.raw());
    if (updated != std::to_string(u.shards.size()))
      throw std::runtime_error("pg_dist_placement changed during the move: updated " + updated + " of " +
                               std::to_string(u.shards.size()) + " placements");
    journal.set_state(move_id, "switched");
    switch_in_doubt = true;
    coord.run("COMMIT");
    switch_in_doubt = false;
  } catch (...) {
    // Before the switch: the source stays authoritative. Undo what exists on the target and the source's extras.
    std::string error;
    try {
      throw;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!switch_in_doubt) {
      if (coord && PQstatus(coord.raw()) == CONNECTION_OK && PQtransactionStatus(coord.raw()) != PQTRANS_IDLE)
        PQclear(PQexec(coord.raw(), "ROLLBACK"));
      source = PgConn();  // closing it rolls back and releases the shard locks
      target = PgConn();
      bool clean = true;
      try {
        if (created_target || subscribed) {
          PgConn t = connect_target();
          drop_subscription(t, repl);
          for (const auto& s : u.shards) t.run("DROP TABLE IF EXISTS " + s.relation + " CASCADE");
        }
        if (published || logical) {
          PgConn s = PgConn::connect(source_info, "pgmove-cleanup-" + sid);
          drop_slot_and_publication(s, repl);
        }
      } catch (const std::exception& e) {
        clean = false;
        warn(run, "could not clean up after " + u.what() + ": " + e.what() + "; the next pgmove run will retry");
      }
      try {
        if (clean) journal.set_state(move_id, "aborted", error);
        journal.release(move_id);
      } catch (const std::exception&) {
      }
    } else {
      warn(run, "the catalog switch of " + u.what() + " is in doubt (coordinator connection lost at COMMIT); " +
                    "the next pgmove run resolves it from the journal (move " + std::to_string(move_id) + ")");
    }
    run.board.remove(progress);
    rethrow_named(u);
  }

  // After the switch the target is authoritative; the source tables go in the same transaction that held the lock,
  // so a write that waited on it fails instead of landing in a dropped shard.
  try {
    // `source` is still in the transaction holding the shard locks (both modes)
    for (const auto& s : u.shards) source.run("DROP TABLE IF EXISTS " + s.relation + " CASCADE");
    if (logical) source.run("DROP PUBLICATION IF EXISTS " + quote_ident(repl));
    source.run("COMMIT");
    if (logical) drop_slot_and_publication(source, repl);
    journal.set_state(move_id, "done");
  } catch (const std::exception& e) {
    warn(run, u.what() + " is switched but dropping the old shard on " + u.source.endpoint() + " failed: " + e.what() +
                  "; the next pgmove run drops it");
  }
  try {
    journal.release(move_id);
  } catch (const std::exception&) {
  }
  run.board.remove(progress);
  std::lock_guard lock(run.stats_mu);
  run.summary.moves += 1;
  run.summary.bytes += totals.bytes;
  run.summary.source_reads += totals.source_reads;
  run.summary.target_attempts += totals.target_attempts;
}

// Free bytes of the filesystem holding `path`, or nullopt when it cannot be read.
std::optional<uint64_t> free_bytes(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Checked before anything moves: the spool must hold the `parallel` largest units at once, and a target on this
// machine must hold everything planned onto it (with 10% headroom). Remote targets cannot be measured over SQL.
void check_disk_space(const Catalog& catalog, const std::vector<MoveUnit>& units, const ExecutorOptions& opts) {
  if (catalog.backend() == Backend::Citus) return;
  std::vector<uint64_t> sizes;
  std::map<std::string, uint64_t> per_target;
  std::map<std::string, const Node*> target_nodes;
  for (const auto& u : units) {
    PgConn src = PgConn::connect(catalog.node_conninfo(u.source), "pgmove");
    std::string arr = "{";
    for (const auto& r : u.relations()) {
      arr += (arr.size() > 1 ? "," : "") + std::string("\"");
      for (char ch : r) {
        if (ch == '"' || ch == '\\') arr.push_back('\\');
        arr.push_back(ch);
      }
      arr += "\"";
    }
    arr += "}";
    uint64_t bytes = std::stoull(src.scalar(
        "SELECT coalesce(sum(pg_total_relation_size(to_regclass(x))), 0) FROM unnest($1::text[]) x", {arr}).value_or("0"));
    sizes.push_back(bytes);
    per_target[u.target.endpoint()] += bytes;
    target_nodes[u.target.endpoint()] = &u.target;
  }
  if (!opts.spool_dir.empty()) {
    std::sort(sizes.rbegin(), sizes.rend());
    uint64_t need = 0;
    for (size_t i = 0; i < sizes.size() && i < static_cast<size_t>(opts.parallel); ++i) need += sizes[i];
    auto have = free_bytes(opts.spool_dir);
    if (!have) throw std::runtime_error("cannot read free space of --spool " + opts.spool_dir + ": " + std::strerror(errno));
    if (*have < need + need / 10)
      throw std::runtime_error("not enough free disk for the spool in " + opts.spool_dir + ": " +
                               std::to_string(need / 1000000) + " MB needed, " + std::to_string(*have / 1000000) +
                               " MB free; nothing was moved");
  }
  for (const auto& [endpoint, need] : per_target) {
    const Node* n = target_nodes[endpoint];
    if (!is_loopback(n->host)) continue;
    PgConn t = PgConn::connect(catalog.node_conninfo(*n), "pgmove");
    auto dir = t.scalar("SELECT current_setting('data_directory', true)");
    if (!dir || dir->empty()) continue;
    auto have = free_bytes(*dir);
    if (have && *have < need + need / 10)
      throw std::runtime_error("not enough free disk on target " + endpoint + ": " + std::to_string(need / 1000000) +
                               " MB planned onto it, " + std::to_string(*have / 1000000) + " MB free; nothing was moved");
  }
}

// Real Citus moves shards itself: switching placements from outside Citus is unsafe with metadata sync (workers
// cache the metadata and Citus must also move the shard's dependent objects and cleanup records), so we only call
// citus_move_shard_placement, in parallel, and announce each move like rebalance_table_shards does.
void move_citus(Run& run, const MoveUnit& u) {
  std::mutex* group_lock;
  {
    std::lock_guard lock(run.citus_mu);
    group_lock = &run.citus_group_locks[u.colocation_id];
  }
  std::lock_guard serial(*group_lock);
  PgConn coord = PgConn::connect(run.coordinator_conninfo, "pgmove");
  notice(run, u);
  try {
    coord.exec(
        "SELECT pg_catalog.citus_move_shard_placement($1::bigint, $2::text, $3::int, $4::text, $5::int, "
        "shard_transfer_mode := $6::citus.shard_transfer_mode)",
        {std::to_string(u.request.shard_id), u.source.host, std::to_string(u.source.port), u.target.host,
         std::to_string(u.target.port), std::string(transfer_mode_name(run.opts.mode))});
  } catch (...) {
    rethrow_named(u);
  }
  std::string ids = "{";
  for (int64_t id : u.shard_ids()) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  auto bytes = coord.scalar("SELECT coalesce(sum(shard_size), 0) FROM pg_catalog.citus_shards WHERE shardid = ANY($1::bigint[])",
                            {ids + "}"});
  std::lock_guard lock(run.stats_mu);
  run.summary.moves += 1;
  run.summary.bytes += bytes ? std::stoull(*bytes) : 0;
}

// Cleans one orphaned journal entry; returns true if it is resolved.
bool resolve(const Catalog& catalog, MoveJournal& journal, const JournalEntry& e) {
  const Node* src = catalog.node_for_group(e.source_group);
  const Node* dst = catalog.node_for_group(e.target_group);
  const std::string repl = replication_name(e.move_id);
  const bool logical = e.mode == "logical";
  std::string state = e.state;
  if (state == "started") {
    if (dst) {
      PgConn t = PgConn::connect(catalog.node_conninfo(*dst), "pgmove-recovery");
      drop_subscription(t, repl);
      for (const auto& rel : e.shard_relations) t.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
    }
    if (logical && src) drop_slot_and_publication(PgConn::connect(catalog.node_conninfo(*src), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "aborted", "cleaned by recovery: partial target dropped");
    return true;
  }
  if (state == "switched") {
    if (!src) return false;
    PgConn s = PgConn::connect(catalog.node_conninfo(*src), "pgmove-recovery");
    for (const auto& rel : e.shard_relations) s.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
    if (logical) drop_slot_and_publication(s, repl);
    if (dst && logical) drop_subscription(PgConn::connect(catalog.node_conninfo(*dst), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "done", "finished by recovery: source shard dropped");
    return true;
  }
  return false;
}

}  // namespace

int recover_moves(Catalog& catalog) {
  if (catalog.backend() == Backend::Citus) return 0;  // Citus cleans its own moves (pg_dist_cleanup)
  auto exists = catalog.coordinator().scalar("SELECT to_regclass('pgload.moves') IS NOT NULL");
  if (!exists || *exists != "t") return 0;
  // Its own session: the owner locks it takes must not linger on the catalog's connection.
  MoveJournal journal(PgConn::connect(coordinator_conninfo(catalog), "pgmove-recovery"));
  int resolved = 0;
  for (const auto& e : journal.claim_orphans()) {
    try {
      if (resolve(catalog, journal, e)) ++resolved;
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "pgmove: warning: could not resolve journal move %lld (state %s): %s\n",
                   static_cast<long long>(e.move_id), e.state.c_str(), ex.what());
    }
    try {
      journal.release(e.move_id);
    } catch (const std::exception&) {
    }
  }
  return resolved;
}

MoveSummary execute_moves(Catalog& catalog, const std::vector<MoveRequest>& moves, const ExecutorOptions& opts) {
  auto start = Clock::now();
  if (opts.parallel < 1) throw std::runtime_error("parallel must be at least 1");
  if (catalog.backend() == Backend::Local) {
    int n = recover_moves(catalog);
    if (n > 0) std::fprintf(stderr, "pgmove: resolved %d unfinished move(s) of an earlier run\n", n);
  }
  catalog.reload_nodes();
  auto units = validate(catalog, moves);
  check_disk_space(catalog, units, opts);
  Run run{catalog, opts, coordinator_conninfo(catalog), TokenBucket(opts.max_rate_bytes_per_s),
          ProgressBoard(opts.progress), {}, {}};

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mu;
  auto worker = [&] {
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= units.size()) return;
      try {
        if (catalog.backend() == Backend::Citus)
          move_citus(run, units[i]);
        else
          move_local(run, units[i]);
      } catch (...) {
        std::lock_guard lock(error_mu);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  size_t nthreads = std::min<size_t>(static_cast<size_t>(opts.parallel), units.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < nthreads; ++i) threads.emplace_back(worker);
  if (nthreads > 0) worker();
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
  run.summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return run.summary;
}

}  // namespace pgload

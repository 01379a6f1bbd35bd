// Streams batches of CSV records into shard tables over a few non-blocking libpq connections per worker,
// one transaction per connection for the whole load, driven by one event loop that keeps every socket flushing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/catalog.h"
#include "loader/options.h"
#include "loader/two_phase.h"
#include "loader/upsert.h"
#include "loader/wait_die.h"
#include "loader/worker_error.h"

namespace pgload {

// Where the rows of one piece (a chunk's rows for one shard) came from: their origins count from here.
struct PieceStart {
  uint64_t line = 0;         // the chunk's first line (Parquet: its row group's first row)
  uint64_t byte_offset = 0;  // the chunk's first byte (Parquet: the row group)
  uint32_t file = 0;         // index of the input file among the load's inputs (line and byte_offset are that file's)
};

// Where an input row came from, kept until its batch is acknowledged so a server error maps back to the input.
// Counted from its piece's start, in 24 bytes: a load holds one per row in flight beside the row itself.
struct RowOrigin {
  uint64_t sort_key;  // see sort_key() in loader/binary_row.h
  uint32_t bytes;     // the row's bytes in its batch's data
  uint32_t newlines;  // quoted '\n' inside the record: PostgreSQL counts them in its COPY line numbers
  uint32_t line;      // lines after its piece's first (a chunk is below 4 GiB)
  uint32_t byte;      // bytes after its piece's first
};

// A row of a batch: its `bytes` bytes in one of the batch's pieces, and where it came from. The length is kept here
// as well as in the origin: the COPY takes a sorted batch's rows in an order of their own, and reading each length
// through its origin cost a cache miss per row.
struct BatchRow {
  const char* data;
  const RowOrigin* origin;
  uint32_t bytes;
  uint32_t piece;  // index into the batch's pieces
};

// A row's place in the input, as messages name it.
struct RowPlace {
  uint32_t file;
  uint64_t line;
  uint64_t byte_offset;
};

// Rows of one shard sent as one COPY statement: complete CSV records each ending in '\n', or (binary) a binary
// COPY header, rows and trailer. The rows stay in the buffers the parser wrote them to: the COPY takes them in the
// order of `rows` (see CopyCursor), so that sorting a batch copies no row.
struct Batch {
  int shard_index = 0;
  bool binary = false;
  // Sorted by a sort key that equal distribution values always share, and no two rows share one: no key that holds
  // the distribution column repeats in the batch, so an upsert needs no "last row wins" pass.
  bool keys_distinct = false;
  std::vector<BatchRow> rows;                   // in COPY order
  std::vector<std::string> pieces;              // the buffers that hold the rows' bytes
  std::vector<std::vector<RowOrigin>> origins;  // the pieces' row origins, which `rows` point to
  std::vector<PieceStart> starts;               // where each piece's origins count from
  size_t copy_bytes = 0;                        // the COPY data: the rows, and the binary header and trailer
  size_t memory_bytes = 0;                      // its pieces' capacity: what it counts against the bytes in flight
  std::atomic<int> pending_placements{0};
  // Rows (indexes into `rows`) a worker refused, from the first placement done: every other placement of a
  // reference table must refuse the same ones. Touched by the sink's event loop only.
  std::optional<std::vector<uint32_t>> refused;

  RowPlace place(size_t row) const noexcept {
    const BatchRow& r = rows[row];
    const PieceStart& s = starts[r.piece];
    return {s.file, s.line + r.origin->line, s.byte_offset + r.origin->byte};
  }
};

// How far one COPY of rows [row, end) of a batch has got: the binary header goes before row `row`'s first byte,
// the trailer after the last row's.
struct CopyCursor {
  size_t row = 0;
  size_t end = 0;
  size_t row_offset = 0;  // bytes of `row` already taken
  bool started = false;   // the header (binary) is taken
  bool done = false;      // the trailer (binary) is taken: nothing is left
};

// Rows lying side by side in a piece, this many bytes or more, go to libpq as a view of it (libpq copies them
// into its buffer anyway); shorter runs (a sorted batch's rows) are gathered first.
inline constexpr size_t kMinCopyViewBytes = 4096;

// The COPY's next bytes, at most `max_bytes` (a longer row comes in parts; the binary header alone and the trailer
// whole), and moves `at` past them; empty when nothing is left. A run of kMinCopyViewBytes or more is a view of
// its piece, anything else is gathered into `out` (cleared first): the bytes live as long as the batch and `out`.
std::string_view take_copy_bytes(const Batch& b, CopyCursor& at, std::string& out, size_t max_bytes);

// What the batches did on the workers, summed over the load (a reference table's rows once): a plain COPY inserts
// every row; --on-conflict splits them into inserted, updated and skipped; worker rejects are `refused`.
struct ApplyCounts {
  std::atomic<uint64_t> inserted{0}, updated{0}, skipped{0}, refused{0};
  std::mutex mu;
  std::vector<uint64_t> refused_per_shard;  // by shard index, guarded by mu
};

// --max-errors on the workers: each batch runs under a savepoint; a batch a worker refuses is rolled back to it and
// replayed in parts until the refused rows are found, which go to the reject file; the rest stays.
struct WorkerRejects {
  int64_t max_errors = 0;                     // 0: a refused row fails the load (no savepoints)
  std::atomic<uint64_t>* rejected = nullptr;  // the load's budget, shared with the client's rejects
  std::FILE* reject_file = nullptr;
};

struct SinkOptions {
  int connections_per_worker = 4;
  size_t max_inflight_bytes = 24u << 20;  // back-pressure: submit() waits beyond this
  std::string copy_options;               // e.g. "FORMAT csv, DELIMITER ',', ..." (without parentheses)
  std::vector<std::string> columns;       // the file's columns, in file order
  bool binary = false;                    // batches may be binary COPY as well as CSV
  bool parquet = false;                   // RowOrigin holds (row, row group): errors name "row group G, row R"
  // The load's input files as messages name them (RowOrigin::file indexes it); with more than one, an error names
  // the file of the row it is about.
  std::vector<std::string> input_names;
  // The load's place in wait-die: its worker sessions are named after it, and a WaitDieWatcher makes the load fail
  // cleanly when it waits for an older load's rows. None: sessions named "pgload", no watcher.
  std::optional<LoadAge> age;
  UpsertPlan upsert;      // action None: COPY straight into the shard
  WorkerRejects rejects;  // max_errors 0: all or nothing
  ApplyCounts* counts = nullptr;
};

class CopySink {
 public:
  CopySink(const Catalog& catalog, const Table& table, SinkOptions options);
  ~CopySink();
  CopySink(const CopySink&) = delete;
  CopySink& operator=(const CopySink&) = delete;

  // Queues a batch for every placement of its shard; blocks while too many bytes are in flight.
  // Throws LoadError if the sink already failed.
  void submit(std::shared_ptr<Batch> batch);
  // Waits until every submitted batch is written (and its refused rows replayed and rejected); no batch may be
  // submitted after it. Throws LoadError if the sink failed (everything rolled back). commit() starts with it.
  void finish_copies();
  // Finishes every COPY, then commits all shards atomically (two-phase). Throws LoadError on failure; on any
  // failure before the commit decision everything is rolled back. `before_decision` runs after every PREPARE and
  // before the commit point; a LoadError from it rolls everything back (e.g. the shard lock was lost). Returns a
  // warning when everything committed but the bookkeeping after it failed (the load stands).
  [[nodiscard]] std::optional<std::string> commit(const TwoPhaseRun& two_phase,
                                                  const std::function<void()>& before_decision = {});
  // Rolls back every transaction (prepared or not). Safe to call more than once.
  void abort() noexcept;

  // Rows acknowledged per shard index (valid after commit()).
  const std::vector<uint64_t>& rows_per_shard() const noexcept { return rows_per_shard_; }
  uint64_t bytes_sent() const noexcept { return bytes_sent_.load(std::memory_order_relaxed); }

 private:
  struct Conn;
  void event_loop();
  bool advance(Conn& c);  // returns true if it made progress
  void fail(const std::string& message, ExitCode code);
  [[noreturn]] void fail_with_result(Conn& c, PGresult* r, const char* doing);
  void batch_failed(Conn& c, PGresult* r, const char* doing);
  void isolate_refused_rows(Conn& c, PGresult* first_error);
  std::optional<WorkerError> try_rows(Conn& c, size_t lo, size_t hi, uint64_t& inserted);
  void refuse_row(Conn& c, size_t row, const WorkerError& e);
  std::string copy_statement(Conn& c, const Batch& b, bool savepoint) const;
  std::string apply_statement(Conn& c, const Batch& b, bool release) const;
  void finish_batch(Conn& c);
  void wake();
  void give_way(const OlderLoadInTheWay& w);

  const Table& table_;
  SinkOptions options_;
  int sink_number_ = 0;  // this process's sinks in order: part of the staging tables' names
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::vector<Conn*>> shard_conns_;  // shard index -> one connection per placement
  std::vector<std::string> copy_sql_;            // shard index -> COPY statement (CSV)
  std::vector<std::string> copy_binary_sql_;     // shard index -> COPY statement (binary)
  std::vector<uint64_t> rows_per_shard_;

  std::mutex mu_;
  std::condition_variable space_cv_;
  size_t inflight_bytes_ = 0;
  bool closing_ = false;
  bool failed_ = false;
  std::string failure_;
  ExitCode failure_code_ = kExitCluster;
  std::atomic<uint64_t> bytes_sent_{0};
  int wake_fd_ = -1;
  std::thread loop_;
  std::unique_ptr<WaitDieWatcher> watcher_;  // declared last: stopped before anything it touches goes
  bool finished_ = false;
};

}  // namespace pgload

// The load run: resolve the target from the catalog, stream the input through the pipeline into the shards, commit
// all shards together (two-phase) or none — the whole input, or with --checkpoint each step — then report.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <variant>

#include "common/byte_size.h"
#include "common/catalog.h"
#include "common/connection_options.h"
#include "common/log.h"
#include "common/pg_datetime.h"
#include "common/pgload_schema.h"
#include "loader/binary_row.h"
#include "loader/checkpoint.h"
#include "loader/copy_sink.h"
#include "loader/decompress.h"
#include "loader/input_list.h"
#include "loader/input_reader.h"
#include "loader/load_error.h"
#include "loader/load_lock.h"
#include "loader/load_progress.h"
#include "loader/memory_budget.h"
#include "loader/options.h"
#include "loader/parquet/parquet_error.h"
#include "loader/parquet/parquet_input.h"
#include "loader/pipeline.h"
#include "loader/report.h"
#include "loader/shard_indexes.h"
#include "loader/source.h"
#include "loader/two_phase.h"
#include "loader/upsert.h"

#include "loader/load_run.h"

namespace pgload {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}

int column_index(const Table& t, const std::string& name) {
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].name == name) return static_cast<int>(i);
  throw LoadError(kExitUsage, "column \"" + name + "\" does not exist in table " + t.qualified());
}

std::string copy_options(const LoadOptions& o) {
  if (o.format == InputFormat::Ndjson) return "FORMAT csv, ENCODING 'UTF8'";  // the NDJSON reader emits default CSV
  if (o.format == InputFormat::Text) return "FORMAT text, ENCODING 'UTF8'";   // text rows are re-escaped canonically
  return "FORMAT csv, DELIMITER " + quote_literal(std::string(1, o.delimiter)) + ", QUOTE " +
         quote_literal(std::string(1, o.quote)) + ", ESCAPE " + quote_literal(std::string(1, o.escape)) + ", NULL " +
         quote_literal(o.null_string) + ", ENCODING 'UTF8'";  // LATIN1 input is converted before sending
}

// How column `idx`'s values are parsed and sent: by their value type (domains as their base, enums, arrays), except
// the distribution column, which keeps the type its hash was built for (see Router).
ColumnType load_type(const Table& table, int idx) {
  const Column& col = table.columns[static_cast<size_t>(idx)];
  return idx == table.dist_column_index ? column_type_for(col.type_oid, col.typmod) : col.value_type();
}

// The columns the input leaves out: a generated one is computed by the shards; one with a default (or identity)
// gets the default's values, evaluated on the coordinator as Citus's COPY does; a NOT NULL one without a default is
// refused here, before anything is loaded; any other is NULL, as in COPY.
void add_default_columns(const Table& table, const std::vector<std::string>& names, bool dry_run, LoadPlan& plan) {
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& col = table.columns[i];
    if (col.generated ||
        std::find(plan.file_columns.begin(), plan.file_columns.end(), static_cast<int>(i)) != plan.file_columns.end())
      continue;
    if (col.default_expr.empty()) {
      if (col.not_null)
        throw LoadError(kExitUsage, "column \"" + col.name + "\" of " + table.qualified() +
                                        " is NOT NULL and has no default, but the input leaves it out (its columns: " +
                                        join(names) + "); nothing was loaded");
      continue;
    }
    if (static_cast<int>(i) == table.dist_column_index && dry_run)
      throw LoadError(kExitUsage, "--dry-run cannot place rows whose distribution column \"" + col.name +
                                      "\" comes from its default (" + col.default_expr +
                                      "): that needs the default evaluated, which may consume sequence values");
    if (dry_run) continue;  // a dry run writes nothing: it evaluates no default
    if (static_cast<int>(i) == table.dist_column_index)
      plan.dist_field = static_cast<int>(plan.file_columns.size() + plan.default_columns.size());
    plan.default_columns.push_back(static_cast<int>(i));
    plan.types.push_back(load_type(table, static_cast<int>(i)));
    plan.types.back().zone_offset_secs = fixed_offset_of_time_zone(table.time_zone);  // the sinks' TimeZone
    plan.not_null.push_back(col.not_null);
  }
}

int run_recover(const Catalog& catalog, bool json) {
  RecoveryResult r = recover_prepared(catalog);
  for (const auto& line : r.unresolved)
    std::fprintf(stderr, "pgload: recover: %s; run `pgload recover` again\n", line.c_str());
  if (json)
    std::printf("{\"committed\":%d,\"rolled_back\":%d,\"skipped_live\":%d,\"locks_released\":%d}\n", r.committed,
                r.rolled_back, r.skipped_live, r.locks_released);
  else
    std::printf("recover: %d prepared %s committed, %d rolled back, %d left to a running load, %d load %s released\n",
                r.committed, r.committed == 1 ? "transaction" : "transactions", r.rolled_back, r.skipped_live,
                r.locks_released, r.locks_released == 1 ? "lock" : "locks");
  return r.unresolved.empty() ? kExitLoaded : kExitInDoubt;
}

int run_status(const PgConn& coordinator, bool json) {
  std::vector<ResumableRun> runs = unfinished_runs(coordinator);
  std::fputs(json ? (status_json(runs) + "\n").c_str() : status_text(runs).c_str(), stdout);
  return kExitLoaded;
}

// A killed run's session lock is released once its backend notices the closed socket: wait that long at most.
constexpr int64_t kRunLockWaitMs = 10000;

// The checkpoint side of a --checkpoint load, set up before the source opens: the run's lock, the crashed run's
// last step resolved (--resume), and the committed progress to continue from.
struct CheckpointStart {
  ResumableRun run;  // url, table and (when resuming) the identity and progress to continue from
  bool resuming = false;
  bool already_done = false;  // --resume of a run that finished: nothing to do
};

// Where a run stands, for messages: "byte B, line L", after the file's name when the load has several.
std::string run_position(const ResumableRun& run) {
  const RunProgress& p = run.progress;
  std::string where = run.inputs.size() > 1 && p.file_index < run.inputs.size()
                          ? run.inputs[p.file_index] + " (file " + std::to_string(p.file_index + 1) + " of " +
                                std::to_string(run.inputs.size()) + ") at "
                          : std::string();
  return where + "byte " + std::to_string(p.byte_offset) + ", line " + std::to_string(p.line);
}

// A compressed file cannot be resumed in its middle: steps end only after it (see run_pipeline_step).
CheckpointStart start_checkpoint(const LoadOptions& o, const Catalog& catalog, const TwoPhaseRun& two_phase,
                                 const std::string& table, const std::vector<InputFile>& files) {
  CheckpointStart cs;
  // The key of a resumable run, shown by `pgload status`: the --url values in order, without user:password and
  // without the query string, which may be a token (an Azure SAS, a presigned URL) and changes when it is issued
  // anew for the resumed run.
  cs.run.url = inputs_key(o.urls);
  cs.run.table = table;
  for (const InputFile& f : files) cs.run.inputs.push_back(f.shown);
  ensure_checkpoint_table(two_phase.session());
  if (!lock_run(two_phase.session(), cs.run.url, table, kRunLockWaitMs))
    throw LoadError(kExitUsage, "another pgload is loading " + cs.run.url + " into " + table +
                                    " with --checkpoint right now; wait for it (see pgload status)");
  if (o.resume) {
    // The crashed run's sessions are gone now that its lock is ours: finish its last step by its decision.
    RecoveryResult r = recover_prepared(catalog);
    if (!r.unresolved.empty())
      throw LoadError(kExitInDoubt, "cannot resume before the interrupted step is resolved: " + r.unresolved.front() +
                                        "; run `pgload recover`");
  }
  std::optional<ResumableRun> prior = find_run(two_phase.session(), cs.run.url, table);
  if (prior && !prior->finished && !o.resume)
    throw LoadError(kExitUsage, "an interrupted --checkpoint load of " + cs.run.url + " into " + table +
                                    " stopped at " + run_position(*prior) + " (" +
                                    std::to_string(prior->progress.rows) +
                                    " rows committed); run the same command with --resume to continue it");
  if (!o.resume) return cs;
  if (!prior) {
    if (!o.quiet)
      std::fprintf(stderr, "pgload: nothing to resume for %s into %s; starting from the beginning\n",
                   cs.run.url.c_str(), table.c_str());
  } else if (prior->finished) {
    if (!o.quiet)
      std::fprintf(stderr, "pgload: nothing to resume: %s was loaded completely into %s at %s\n", cs.run.url.c_str(),
                   table.c_str(), prior->updated_at.c_str());
    cs.already_done = true;
  } else {
    // The list must be the one the committed steps read: a file index means nothing in another list. (A run of an
    // older pgload kept no list: it had one input.)
    const std::vector<std::string> was = prior->inputs.empty() ? std::vector<std::string>{cs.run.url} : prior->inputs;
    if (was != cs.run.inputs) {
      size_t i = 0;
      while (i < was.size() && i < cs.run.inputs.size() && was[i] == cs.run.inputs[i]) ++i;
      throw LoadError(kExitSource, "the input files changed since the checkpointed run: it read " +
                                       std::to_string(was.size()) + " file(s), now there are " +
                                       std::to_string(cs.run.inputs.size()) + "; file " + std::to_string(i + 1) +
                                       " was " + (i < was.size() ? was[i] : std::string("(none)")) + ", now " +
                                       (i < cs.run.inputs.size() ? cs.run.inputs[i] : std::string("(none)")) +
                                       "; not resumed (the " + std::to_string(prior->progress.rows) + " rows of its " +
                                       std::to_string(prior->progress.step) + " committed step(s) stay loaded)");
    }
    std::vector<std::string> inputs = std::move(cs.run.inputs);
    cs.run = *prior;
    cs.run.inputs = std::move(inputs);
    cs.resuming = true;
  }
  return cs;
}

// Appended to the error of a failed step: main's "nothing was loaded" is not true once a step has committed.
std::string earlier_steps_stay(const ResumableRun& run) {
  return " (in this step; the " + std::to_string(run.progress.rows) + " rows of the " +
         std::to_string(run.progress.step) + " committed step(s) before " +
         (run.inputs.size() > 1 && run.progress.file_index < run.inputs.size()
              ? run.inputs[run.progress.file_index] + " "
              : std::string()) +
         "line " + std::to_string(run.progress.line) + " stay loaded; --resume continues from there)";
}

// The error of a failed step, saying which earlier steps stay committed (main's "nothing was loaded" is not true
// once one has).
[[noreturn]] void rethrow_step_error(const std::exception_ptr& error, const ResumableRun& run) {
  try {
    std::rethrow_exception(error);
  } catch (const LoadError& e) {
    if (run.progress.step == 0 || e.code() == kExitInDoubt) throw;  // in doubt: decided, recover finishes it
    throw LoadError(e.code(), e.what() + earlier_steps_stay(run));
  } catch (const SourceError& e) {
    if (run.progress.step == 0) throw;
    throw LoadError(kExitSource, e.what() + earlier_steps_stay(run));
  } catch (const PgError& e) {
    if (run.progress.step == 0) throw;
    log::failed_statement(e);
    throw LoadError(kExitCluster, e.what() + earlier_steps_stay(run));
  }
}

// What one commit owns until it is resolved: its table as read under its locks, the locks, and the sink. Members are
// destroyed in reverse order: the sink's rollback (if any) before the locks go.
struct CommitWork {
  std::shared_ptr<Table> table;
  std::unique_ptr<LoadLock> lock;
  std::unique_ptr<CopySink> sink;
};

// Commits `work` (two-phase) with its lock transaction PREPAREd as lock gid `n` before the decision, so that the locks
// outlive a crash in doubt; then releases the locks. Everything `work` holds is gone when this returns or throws,
// except a lock kept for `pgload recover` when the outcome is in doubt. Returns the warnings.
std::vector<std::string> commit_work(CommitWork work, const TwoPhaseRun& two_phase, int64_t n) {
  std::vector<std::string> notes;
  try {
    if (auto note = work.sink->commit(two_phase, [&] { work.lock->prepare(two_phase.lock_gid(n)); }))
      notes.push_back(*note);
  } catch (const LoadError& e) {
    if (e.code() == kExitInDoubt) work.lock->keep_for_recovery();
    throw;
  }
  work.sink.reset();
  if (auto note = work.lock->release()) notes.push_back(*note);
  return notes;
}

// Takes the locks of one commit and re-reads `table` under them. A later --checkpoint step (`routed`) must find the
// shards the plan routes to.
CommitWork lock_for_commit(Catalog& catalog, const Table& table, const LoadOptions& o, bool routed) {
  CommitWork w;
  w.table = std::make_shared<Table>(table);
  w.lock = std::make_unique<LoadLock>(catalog, *w.table, o.lock_timeout_ms,
                                      [](const std::string& m) { std::fprintf(stderr, "pgload: %s\n", m.c_str()); });
  bool same = w.table->shards.size() == table.shards.size();
  for (size_t s = 0; same && s < table.shards.size(); ++s)
    same = w.table->shards[s].shard_id == table.shards[s].shard_id;
  if (routed && !same)
    throw LoadError(kExitCluster, "the shards of " + table.qualified() + " changed since the load started (a split?)");
  return w;
}

// The input in steps of at least --checkpoint bytes, each its own all-shards two-phase commit whose decision also
// records the run's progress; `run` arrives with the progress committed so far and leaves marked finished.
// A step commits on a thread of its own while the next one is read and sent over new connections, so the workers
// never wait for a step's drain, PREPAREs and decision; one commit at a time, in step order. Each step holds locks
// of its own, taken before it writes (the first step's are `first`): a step's locks are PREPAREd at its commit
// and released once it committed, while the next step already writes under its own.
void run_steps(const LoadOptions& o, Catalog& catalog, const Table& table, const SinkOptions& sink_options,
               const LoadPlan& plan, InputReader& inputs, InputCursor cursor,
               const std::function<SourceIdentity(const InputCursor&)>& identity_at,
               const std::vector<std::string>& names, std::FILE* rejects, TwoPhaseRun& two_phase, CommitWork first,
               ResumableRun& run, std::vector<uint64_t>& rows_per_shard, LoadCounters& counters) {
  rows_per_shard.assign(table.shards.size(), 0);
  run.progress.columns = names;
  ResumableRun decided = run;  // the progress the step in flight (if any) records
  std::atomic<bool> commit_failed{false};
  auto commit = [&](CommitWork work) {
    const int64_t step = decided.progress.step;
    try {
      for (const std::string& note : commit_work(std::move(work), two_phase, step))
        std::fprintf(stderr, "pgload: warning: step %lld: %s\n", static_cast<long long>(step), note.c_str());
    } catch (...) {
      commit_failed = true;
      throw;
    }
    log::info("step {} committed: input up to {}; {} rows so far", decided.progress.step, run_position(decided),
              decided.progress.rows);
    fault_point("after_step");
  };
  // Declared after what the commit thread uses: an unfinished future waits for it when destroyed. The task owns
  // its step's work.
  std::future<void> committed;
  auto await_commit = [&] {
    if (!committed.valid()) return;
    committed.get();  // rethrows the step's failure
    run = decided;
  };
  for (bool done = false; !done;) {
    CommitWork work;
    try {
      if (first.lock) {
        work = std::move(first);
        first = CommitWork{};  // later steps take locks of their own
      } else {
        work = lock_for_commit(catalog, table, o, true);
      }
      work.sink = std::make_unique<CopySink>(catalog, *work.table, sink_options);
      std::vector<uint64_t> step_rows;
      done = run_pipeline_step(
          inputs, cursor, static_cast<uint64_t>(o.checkpoint_bytes), plan, o.threads,
          [&](std::shared_ptr<Batch> b) {
            if (commit_failed) throw LoadError(kExitCluster, "the step before this one failed to commit");
            work.sink->submit(std::move(b));
          },
          step_rows, counters);
      ResumableRun after = decided;
      for (size_t s = 0; s < step_rows.size(); ++s) {
        rows_per_shard[s] += step_rows[s];
        after.progress.rows += table.is_reference() ? (s == 0 ? step_rows[s] : 0) : step_rows[s];
      }
      // Rows the workers refuse are known only once the step's batches are written: its progress row must count
      // them (and end the reject file after them), or a resumed run would cut their lines and miscount.
      if (o.max_errors > 0) work.sink->finish_copies();
      if (rejects) std::fflush(rejects);
      after.progress.file_index = cursor.file;
      after.progress.byte_offset = cursor.byte;
      after.progress.line = cursor.line;
      after.identity = identity_at(cursor);
      after.progress.rejected = counters.rejected.load();
      struct stat st {};
      after.progress.reject_file_bytes =
          rejects && fstat(fileno(rejects), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      ++after.progress.step;
      after.finished = done;
      await_commit();
      auto [sql, params] = progress_statement(after);
      two_phase.set_decision_rider(std::move(sql), std::move(params));
      decided = std::move(after);
      if (done) {
        commit(std::move(work));
        run = decided;
      } else {
        // The task's own copy of the work goes when the task ends (not when the future is read): a lock the next
        // step queues behind must not wait for this thread.
        committed = std::async(std::launch::async,
                               [&commit, w = std::make_shared<CommitWork>(std::move(work))] { commit(std::move(*w)); });
      }
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      work.sink.reset();  // rolls this step back, then drops its locks
      work.lock.reset();
      try {
        await_commit();  // the earlier step's outcome decides what stays loaded; its failure is the first one
      } catch (...) {
        error = std::current_exception();
      }
      rethrow_step_error(error, run);
    }
  }
}

int run_load(const LoadOptions& o, Catalog& catalog, LoadReport& report, std::vector<InputFile> files,
             const SourceOptions& source_options) {
  auto start = std::chrono::steady_clock::now();
  Table table;
  try {
    table = catalog.table(o.table);
  } catch (const PgError& e) {
    log::failed_statement(e);
    throw LoadError(kExitUsage, e.server_message() + " (coordinator " + e.endpoint() + ")");
  }
  report.table = table.schema + "." + table.name;
  log::info("table {}: {} shard(s), distribution column {}", table.qualified(), table.shards.size(),
            table.is_reference() ? "(reference table)" : table.dist_column);
  std::optional<TwoPhaseRun> two_phase;
  CheckpointStart cs;
  if (o.checkpoint_bytes > 0) {
    two_phase.emplace(catalog.coordinator());
    cs = start_checkpoint(o, catalog, *two_phase, report.table, files);
    if (cs.already_done) {
      report.outcome = "committed";
      return kExitLoaded;
    }
  }
  // Before the source is opened: a wait for a shard move should not hold an idle HTTP transfer open.
  CommitWork work;
  if (!o.dry_run) {
    work = lock_for_commit(catalog, table, o, false);
    table = *work.table;
  }

  CsvDialect dialect{o.delimiter, o.quote, o.escape};
  if (o.format == InputFormat::Ndjson) dialect = CsvDialect{};
  const bool csv_header = o.header && o.format == InputFormat::Csv;
  InputCursor cursor;
  if (cs.resuming) {
    cursor.file = cs.run.progress.file_index;
    cursor.byte = cs.run.progress.byte_offset;
    cursor.line = cs.run.progress.line;
  }
  const uint64_t resume_offset = cursor.byte;
  InputReader inputs(std::move(files), source_options, static_cast<size_t>(o.parallel_files));
  // Parquet is read by row group with random access; its ByteSource only reports progress and identity.
  std::unique_ptr<parquet::ParquetFile> parquet_file;
  std::unique_ptr<ByteSource> parquet_progress;
  std::vector<std::string> header;
  if (o.format == InputFormat::Parquet) {
    SourceOptions so = source_options;
    so.start_offset = cursor.byte;
    try {
      parquet_file = parquet::ParquetFile::open(inputs.file(0).url, so);
    } catch (const parquet::ParquetError& e) {
      throw LoadError(kExitInputErrors, std::string(e.what()) + "; nothing was loaded");
    }
    parquet_progress = parquet::progress_source(*parquet_file);
  } else {
    header = open_input_file(inputs, cursor, dialect, csv_header);
  }
  log::info("reading {} file(s) from {}", inputs.size(), inputs.file(cursor.file).shown);
  auto identity_at = [&](const InputCursor& c) {
    if (parquet_progress) return parquet_progress->identity();
    return c.open ? inputs.identity(c.file) : SourceIdentity{};
  };
  if (cs.resuming) {
    std::string change = identity_change(cs.run.identity, identity_at(cursor));
    if (!change.empty())
      throw LoadError(kExitSource, "source changed since the checkpointed run: " + inputs.where(cursor.file) + change +
                                       "; not resumed (the " + std::to_string(cs.run.progress.rows) + " rows of its " +
                                       std::to_string(cs.run.progress.step) + " committed step(s) stay loaded)");
    if (!o.quiet)
      std::fprintf(stderr, "pgload: resuming at %s (%llu rows committed in %lld step(s))\n",
                   run_position(cs.run).c_str(), static_cast<unsigned long long>(cs.run.progress.rows),
                   static_cast<long long>(cs.run.progress.step));
  }

  std::vector<std::string> names = o.columns;
  if (!header.empty()) {
    if (!o.columns.empty() && header != o.columns)
      throw LoadError(kExitUsage, inputs.where(cursor.file) + "line 1: header (" + join(header) +
                                      ") does not match --columns (" + join(o.columns) + ")");
    names = header;
  } else if (cs.resuming && resume_offset > 0) {
    names = cs.run.progress.columns;  // a header lies before the offset: the columns were recorded with the first step
  }
  if (names.empty())
    for (const auto& c : table.columns) names.push_back(c.name);

  LoadPlan plan;
  plan.table = &table;
  for (size_t i = 0; i < names.size(); ++i) {
    int idx = column_index(table, names[i]);
    plan.file_columns.push_back(idx);
    plan.types.push_back(load_type(table, idx));
    plan.types.back().zone_offset_secs = fixed_offset_of_time_zone(table.time_zone);  // the sinks' TimeZone
    plan.not_null.push_back(table.columns[idx].not_null);
    if (idx == table.dist_column_index) plan.dist_field = static_cast<int>(i);
  }
  // A distribution column the input leaves out and that has no default: say that, before the NOT NULL check would.
  if (!table.is_reference() && plan.dist_field < 0 && table.columns[table.dist_column_index].default_expr.empty())
    throw LoadError(kExitUsage, "the distribution column \"" + table.dist_column + "\" of " + table.qualified() +
                                    " is not among the input's columns (" + join(names) + ")");
  add_default_columns(table, names, o.dry_run, plan);  // a defaulted distribution column becomes plan.dist_field
  plan.dialect = dialect;
  plan.null_string = o.format == InputFormat::Ndjson ? "" : o.null_string;
  plan.format = o.format;
  plan.skip_header = o.header && o.format == InputFormat::Text;
  plan.csv_header = csv_header;
  plan.header = names;
  plan.latin1 = o.encoding == "latin1";
  plan.validate_utf8 = !plan.latin1;
  plan.chunk_bytes = static_cast<size_t>(o.chunk_bytes);
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto memory = plan_memory(
      {static_cast<uint64_t>(o.memory_bytes), table.shards.size(), plan.chunk_bytes, threads,
       static_cast<size_t>(o.batch_bytes),
       std::min<uint64_t>(inputs.size(), static_cast<uint64_t>(o.parallel_files)) * InputReader::kAheadBytes});
  if (const auto* too_small = std::get_if<std::string>(&memory)) throw LoadError(kExitUsage, *too_small);
  plan.batch_bytes = std::get<MemoryPlan>(memory).batch_bytes;
  plan.max_errors = o.max_errors;
  plan.binary = binary_encodable(plan.types);
  std::optional<ColumnDefaults> defaults;
  if (!plan.default_columns.empty()) {
    std::vector<std::string> exprs;
    std::string listed;
    for (int idx : plan.default_columns) {
      const Column& col = table.columns[idx];
      exprs.push_back("(" + col.default_expr + ")::" + col.type_sql);
      listed += (listed.empty() ? "" : ", ") + col.name + " = " + col.default_expr;
    }
    // Parquet rows are built from their typed columns only: refuse rather than load the defaulted columns wrong.
    if (parquet_progress)
      throw LoadError(kExitUsage, "the Parquet input leaves out columns that have defaults (" + listed +
                                      "); defaults are evaluated for CSV, text and NDJSON input only; nothing was "
                                      "loaded");
    defaults.emplace(catalog.coordinator(), std::move(exprs));
    plan.defaults = &*defaults;
    log::info("columns left out of the input get their defaults, evaluated on the coordinator: {}", listed);
  }
  // The shards' indexes decide the upsert's key and the sort.
  ShardIndexes indexes(catalog, table);
  // --on-conflict: the key and the columns an update sets, checked against the table before anything is read.
  UpsertPlan upsert;
  if (o.on_conflict != OnConflict::None) {
    std::vector<std::string> key = o.conflict_key;
    if (key.empty()) {
      key = indexes.primary_key_columns();
    } else if (!indexes.has_unique_index_on(key)) {
      throw LoadError(kExitUsage, "--conflict-key " + join(key) + ": " + table.qualified() +
                                      " has no unique index or constraint on exactly these columns (without a WHERE "
                                      "clause or expressions), which ON CONFLICT needs");
    }
    std::vector<std::string> loaded = names;
    for (int idx : plan.default_columns) loaded.push_back(table.columns[idx].name);
    upsert = plan_upsert(table, o.on_conflict, loaded, names, key, o.update_columns);
    log::info("--on-conflict {}: key ({}){}", o.on_conflict == OnConflict::Update ? "update" : "nothing", join(key),
              upsert.update.empty() ? "" : ", sets " + join(upsert.update));
  }
  parquet::ParquetInput parquet_input;
  if (parquet_progress) {
    parquet_input = parquet::plan_parquet(std::move(parquet_file), table, plan.file_columns, !o.columns.empty());
    plan.parquet = &parquet_input;
    plan.binary = true;  // every Parquet row goes as binary COPY, converted from its typed values
  }
  // Bench-only switches, so bench/run can measure what binary COPY and sorted batches win; not user options.
  std::string why_csv = " (a column's type has no binary encoder here)";
  if (std::getenv("PGLOAD_BENCH_CSV_COPY") != nullptr) {
    plan.binary = false;
    why_csv = " (PGLOAD_BENCH_CSV_COPY is set)";
  }
  // Rows of one shard go as one kind of COPY in input order, so that a key repeated in the input is applied in
  // input order (a shard's CSV and binary rows are separate batches); a row a worker refuses is written to the
  // reject file as its input record. Parquet rows are all binary anyway.
  if (!plan.parquet && plan.binary &&
      (upsert.action != OnConflict::None || (o.max_errors > 0 && !o.reject_file.empty()))) {
    plan.binary = false;
    why_csv = upsert.action != OnConflict::None ? " (--on-conflict: a key repeated in the input applies in input order)"
                                                : " (--reject-file: a refused row is written as its input record)";
  }
  log::info("rows go as {} COPY{}", plan.binary ? "binary" : "CSV", plan.binary ? "" : why_csv);
  // A batch sorted by the distribution column inserts into neighbouring pages of an index that leads with it; with
  // no such index the sort is client CPU spent for nothing. An upsert needs the order to see a key repeat.
  if (table.dist_column_index >= 0 && !o.dry_run) {
    const Column& dist = table.columns[table.dist_column_index];
    plan.sort_batches = upsert.action != OnConflict::None || indexes.an_index_leads_with(dist.name);
    if (std::getenv("PGLOAD_BENCH_UNSORTED") != nullptr) plan.sort_batches = false;
    if (plan.sort_batches)
      log::info("batches sorted by {}", quote_ident(dist.name));
    else
      log::info("batches in input order (no index leads with {})", quote_ident(dist.name));
  }
  indexes.close();  // planned: the load opens its own sessions
  if (std::getenv("PGLOAD_BENCH_UPSERT_SORT") != nullptr) plan.distinct_keys_known = false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> rejects(nullptr, &std::fclose);
  if (!o.reject_file.empty()) {
    // A resumed run appends after what its committed steps wrote (a crashed step's rejects are cut off first).
    if (cs.resuming && truncate(o.reject_file.c_str(), static_cast<off_t>(cs.run.progress.reject_file_bytes)) != 0 &&
        errno != ENOENT)
      throw LoadError(kExitUsage, "cannot truncate --reject-file " + o.reject_file + ": " + std::strerror(errno));
    rejects.reset(std::fopen(o.reject_file.c_str(), cs.resuming ? "a" : "w"));
    if (!rejects)
      throw LoadError(kExitUsage, "cannot write --reject-file " + o.reject_file + ": " + std::strerror(errno));
    plan.reject_file = rejects.get();
  }

  LoadCounters counters;
  ApplyCounts applied;
  counters.rejected.store(cs.run.progress.rejected);
  counters.bytes.store(cursor.byte);  // the resumed offset, or the header's bytes
  counters.file_bytes.assign(inputs.size(), 0);
  counters.file_bytes[cursor.file] = cursor.byte - resume_offset;
  std::vector<uint64_t> rows_per_shard;
  ProgressBar progress(
      !o.quiet && isatty(2), counters,
      [&] { return parquet_progress ? parquet_progress->bytes_in() : inputs.bytes_in(); },
      parquet_progress ? parquet_progress->size_hint() : inputs.total_bytes(), inputs.size(),
      [&] { return inputs.files_done(); });
  if (o.dry_run) {
    run_pipeline(inputs, std::move(cursor), plan, o.threads, nullptr, rows_per_shard, counters);
    report.outcome = "dry_run";
  } else {
    if (!two_phase) two_phase.emplace(catalog.coordinator());
    SinkOptions sink_options;
    sink_options.connections_per_worker = o.connections_per_worker;
    sink_options.max_inflight_bytes = std::get<MemoryPlan>(memory).inflight_bytes;
    sink_options.copy_options = copy_options(o);
    sink_options.binary = plan.binary;
    sink_options.parquet = plan.parquet != nullptr;
    for (int idx : plan.file_columns) sink_options.columns.push_back(table.columns[idx].name);
    for (int idx : plan.default_columns) sink_options.columns.push_back(table.columns[idx].name);
    for (size_t i = 0; i < inputs.size(); ++i) sink_options.input_names.push_back(inputs.file(i).shown);
    sink_options.age = LoadAge{two_phase->started_us(), two_phase->run_id()};
    sink_options.upsert = upsert;
    sink_options.rejects = WorkerRejects{o.max_errors, &counters.rejected, rejects.get()};
    sink_options.counts = &applied;
    log::info("COPY into {} shard(s) over {} connection(s) per worker, batches of {} bytes (--memory {})",
              table.shards.size(), o.connections_per_worker, plan.batch_bytes, format_size_bytes(o.memory_bytes));
    if (o.checkpoint_bytes == 0) {
      work.sink = std::make_unique<CopySink>(catalog, *work.table, sink_options);
      uint64_t batches = 0;
      run_pipeline(
          inputs, std::move(cursor), plan, o.threads,
          [&](std::shared_ptr<Batch> b) {
            ++batches;
            work.sink->submit(std::move(b));
          },
          rows_per_shard, counters);
      log::info("input done: {} rows in {} batch(es){}; two-phase commit", counters.rows.load(), batches,
                plan.binary ? ", " + std::to_string(counters.csv_rows.load()) + " of them as CSV rows" : std::string());
      std::vector<std::string> notes = commit_work(std::move(work), *two_phase, 0);
      for (size_t i = 0; i < notes.size(); ++i) report.warning += (i ? "; " : "") + notes[i];
    } else {
      run_steps(o, catalog, table, sink_options, plan, inputs, std::move(cursor), identity_at, names, rejects.get(),
                *two_phase, std::move(work), cs.run, rows_per_shard, counters);
    }
    log::info("committed on every worker");
    report.outcome = "committed";
  }
  progress.stop();

  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.bytes = counters.bytes.load() - resume_offset;  // this run's bytes, as its rows
  for (size_t i = 0; i < inputs.size(); ++i)
    report.files.push_back(
        {inputs.file(i).shown, i < counters.file_rows.size() ? counters.file_rows[i] : 0, counters.file_bytes[i]});
  report.rejected = counters.rejected.load();
  report.on_conflict = o.on_conflict != OnConflict::None;
  report.inserted = applied.inserted.load();
  report.updated = applied.updated.load();
  report.skipped = applied.skipped.load();
  report.refused = applied.refused.load();
  // The rows the workers refused were routed, but are not loaded.
  for (size_t s = 0; s < applied.refused_per_shard.size() && s < rows_per_shard.size(); ++s)
    rows_per_shard[s] -= std::min(rows_per_shard[s], applied.refused_per_shard[s]);
  std::map<std::string, uint64_t> per_node;
  for (size_t s = 0; s < table.shards.size(); ++s) {
    report.rows += rows_per_shard[s];
    report.shard_rows.emplace_back(table.shards[s].shard_id, rows_per_shard[s]);
    for (int32_t g : table.shards[s].groups)
      if (const Node* n = catalog.node_for_group(g)) per_node[n->endpoint()] += rows_per_shard[s];
  }
  if (table.is_reference()) report.rows = rows_per_shard.empty() ? 0 : rows_per_shard[0];
  report.node_rows.assign(per_node.begin(), per_node.end());
  return kExitLoaded;
}

}  // namespace

int run_pgload(const LoadOptions& o, LoadReport& report) {
  // Everything that can be checked without a server is checked first, so a typo is not reported as a connection
  // failure.
  check_connection_options(o);
  SourceOptions source_options;
  source_options.insecure = o.insecure;
  source_options.s3_endpoint = o.s3_endpoint;
  source_options.s3_region = o.s3_region;
  source_options.s3_addressing = o.s3_addressing;
  InputList inputs;
  if (o.command == "load") {
    inputs = expand_inputs(o.urls, source_options);
    if (inputs.files.size() > 1 && o.format == InputFormat::Parquet)
      throw UsageError("--format parquet reads one file per load; the --url values name " +
                       std::to_string(inputs.files.size()) + " files");
    for (const std::string& skipped : inputs.skipped)
      if (!o.quiet) std::fprintf(stderr, "pgload: skipped %s\n", skipped.c_str());
    log::info("{} input file(s)", inputs.files.size());
  }
  if (o.lock_timeout_ms) log::info("lock timeout {} ms", *o.lock_timeout_ms);

  PgConn coordinator;
  log::info("connecting to the coordinator: {}", log::printable_conninfo(o.coordinator));
  try {
    coordinator = PgConn::connect(o.coordinator, "pgload");
  } catch (const PgError& e) {
    log::failed_statement(e);
    throw LoadError(kExitCluster, "coordinator: " + std::string(e.what()));
  }
  Catalog catalog = Catalog::load(coordinator, o.backend);
  log::info("catalog read from {}: backend {}, {} node(s)", coordinator.endpoint(), backend_name(catalog.backend()),
            catalog.nodes().size());
  apply_node_conninfo(catalog, o);
  // pgload's own schema: made current (an older one upgraded by its owner) before anything reads it; recover and
  // status only read, so they never create it.
  if (!o.dry_run) ensure_pgload_schema(catalog.coordinator(), o.command == "load");
  if (o.command == "recover") return run_recover(catalog, o.json);
  if (o.command == "status") return run_status(catalog.coordinator(), o.json);
  if (!o.dry_run) {
    // Finish what a crashed run left prepared before adding to the table.
    RecoveryResult r = recover_prepared(catalog);
    log::info("recovery of earlier runs: {} committed, {} rolled back, {} left to a running load", r.committed,
              r.rolled_back, r.skipped_live);
    if ((r.committed || r.rolled_back) && !o.quiet)
      std::fprintf(stderr, "pgload: recovered a crashed load first: %d committed, %d rolled back\n", r.committed,
                   r.rolled_back);
    for (const auto& line : r.unresolved)
      std::fprintf(stderr, "pgload: warning: %s; run `pgload recover`\n", line.c_str());
  }
  return run_load(o, catalog, report, std::move(inputs.files), source_options);
}

}  // namespace pgload

// pgload: resolve the target from the catalog, stream the input through the pipeline into the shards, commit
// all shards together (two-phase) or none, then report.
#include <malloc.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "common/catalog.h"
#include "common/conninfo.h"
#include "common/log.h"
#include "common/version.h"
#include "loader/binary_row.h"
#include "loader/copy_sink.h"
#include "loader/load_error.h"
#include "loader/load_lock.h"
#include "loader/load_progress.h"
#include "loader/options.h"
#include "loader/pipeline.h"
#include "loader/report.h"
#include "loader/source.h"
#include "loader/two_phase.h"

using namespace pgload;

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

int run_recover(const Catalog& catalog, bool json) {
  RecoveryResult r = recover_prepared(catalog);
  for (const auto& line : r.unresolved)
    std::fprintf(stderr, "pgload: recover: %s; run `pgload recover` again\n", line.c_str());
  if (json)
    std::printf("{\"committed\":%d,\"rolled_back\":%d,\"skipped_live\":%d}\n", r.committed, r.rolled_back,
                r.skipped_live);
  else
    std::printf("recover: %d prepared %s committed, %d rolled back, %d left to a running load\n", r.committed,
                r.committed == 1 ? "transaction" : "transactions", r.rolled_back, r.skipped_live);
  return r.unresolved.empty() ? kExitLoaded : kExitInDoubt;
}

int run_load(const LoadOptions& o, Catalog& catalog, LoadReport& report) {
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
  // Before the source is opened: a wait for a shard move should not hold an idle HTTP transfer open.
  std::optional<LoadLock> lock;
  if (!o.dry_run)
    lock.emplace(catalog, table, o.lock_timeout_ms,
                 [](const std::string& m) { std::fprintf(stderr, "pgload: %s\n", m.c_str()); });

  SourceOptions so;
  so.insecure = o.insecure;
  std::unique_ptr<ByteSource> source = open_source(o.url, so);
  log::info("reading {}", redact_url(o.url));

  CsvDialect dialect{o.delimiter, o.quote, o.escape};
  if (o.format == InputFormat::Ndjson) dialect = CsvDialect{};
  std::string carry;
  uint64_t first_line = 1, first_byte = 0;
  std::vector<std::string> names = o.columns;
  if (o.header && o.format == InputFormat::Csv) {
    uint64_t header_bytes = 0;
    std::vector<std::string> header = read_csv_header(*source, dialect, carry, header_bytes);
    if (!o.columns.empty() && header != o.columns)
      throw LoadError(kExitUsage,
                      "line 1: header (" + join(header) + ") does not match --columns (" + join(o.columns) + ")");
    names = header;
    first_line = 2;
    first_byte = header_bytes;
  }
  if (names.empty())
    for (const auto& c : table.columns) names.push_back(c.name);

  LoadPlan plan;
  plan.table = &table;
  for (size_t i = 0; i < names.size(); ++i) {
    int idx = column_index(table, names[i]);
    plan.file_columns.push_back(idx);
    plan.types.push_back(column_type_for(table.columns[idx].type_oid, table.columns[idx].typmod));
    plan.not_null.push_back(table.columns[idx].not_null);
    if (idx == table.dist_column_index) plan.dist_field = static_cast<int>(i);
  }
  if (!table.is_reference() && plan.dist_field < 0)
    throw LoadError(kExitUsage, "the distribution column \"" + table.dist_column + "\" of " + table.qualified() +
                                    " is not among the input's columns (" + join(names) + ")");
  plan.dialect = dialect;
  plan.null_string = o.format == InputFormat::Ndjson ? "" : o.null_string;
  plan.format = o.format;
  plan.skip_header = o.header && o.format == InputFormat::Text;
  plan.latin1 = o.encoding == "latin1";
  plan.validate_utf8 = !plan.latin1;
  plan.chunk_bytes = static_cast<size_t>(o.chunk_bytes);
  plan.batch_bytes = static_cast<size_t>(o.batch_bytes);
  plan.max_errors = o.max_errors;
  plan.binary = binary_encodable(plan.types);
  // Bench-only switches, so bench/run can measure what binary COPY and sorted batches win; not user options.
  if (std::getenv("PGLOAD_BENCH_CSV_COPY") != nullptr) plan.binary = false;
  if (std::getenv("PGLOAD_BENCH_UNSORTED") != nullptr) plan.sort_batches = false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> rejects(nullptr, &std::fclose);
  if (!o.reject_file.empty()) {
    rejects.reset(std::fopen(o.reject_file.c_str(), "w"));
    if (!rejects)
      throw LoadError(kExitUsage, "cannot write --reject-file " + o.reject_file + ": " + std::strerror(errno));
    plan.reject_file = rejects.get();
  }

  LoadCounters counters;
  std::vector<uint64_t> rows_per_shard;
  ProgressBar progress(
      !o.quiet && isatty(2), counters, [&] { return source->bytes_in(); }, source->size_hint());
  if (o.dry_run) {
    run_pipeline(*source, std::move(carry), first_line, first_byte, plan, o.threads, nullptr, rows_per_shard, counters);
    report.outcome = "dry_run";
  } else {
    TwoPhaseRun two_phase(catalog.coordinator());
    SinkOptions sink_options;
    sink_options.connections_per_worker = o.connections_per_worker;
    sink_options.copy_options = copy_options(o);
    sink_options.binary = plan.binary;
    for (int idx : plan.file_columns) sink_options.columns.push_back(table.columns[idx].name);
    CopySink sink(catalog, table, sink_options);
    log::info("COPY into {} shard(s) over {} connection(s) per worker, batches of {} bytes", table.shards.size(),
              o.connections_per_worker, o.batch_bytes);
    uint64_t batches = 0;
    run_pipeline(
        *source, std::move(carry), first_line, first_byte, plan, o.threads,
        [&](std::shared_ptr<Batch> b) {
          ++batches;
          sink.submit(std::move(b));
        },
        rows_per_shard, counters);
    log::info("input done: {} rows in {} batch(es); two-phase commit", counters.rows.load(), batches);
    sink.commit(two_phase, [&] { lock->check_held(); });
    lock->release();
    log::info("committed on every worker");
    report.outcome = "committed";
  }
  progress.stop();

  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.bytes = counters.bytes.load();
  report.rejected = counters.rejected.load();
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

int main(int argc, char** argv) {
  // Batch buffers of about --batch-bytes come and go all load long: keep them in the heap instead of mmap/trim
  // churn, which page-faulted every byte sent once more.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  LoadOptions o;
  try {
    o = parse_load_options(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "pgload: %s\n", redact_conninfo(e.what()).c_str());
    return kExitUsage;
  }
  if (o.command == "help") {
    std::fputs(load_usage().c_str(), stdout);
    return kExitLoaded;
  }
  if (o.command == "version") {
    std::printf("pgload %s\n", kVersion);
    return kExitLoaded;
  }
  log::init("pgload", o.debug ? log::Verbosity::Debug : o.verbose ? log::Verbosity::Verbose : log::Verbosity::Normal);
  LoadReport report;
  report.table = o.table;
  int code = kExitLoaded;
  try {
    // Everything that can be checked without a server is checked first, so a typo is not reported as a
    // connection failure.
    if (auto error = conninfo_error(o.coordinator)) throw LoadError(kExitUsage, "--coordinator: " + *error);
    for (const auto& spec : o.node_conninfo) {
      try {
        auto [endpoint, conninfo] = parse_node_conninfo(spec);
        if (auto error = conninfo_error(conninfo))
          throw LoadError(kExitUsage, "--node-conninfo " + endpoint + ": " + *error);
      } catch (const std::invalid_argument& e) {
        throw LoadError(kExitUsage, e.what());
      }
    }
    if (o.command == "load") check_source(o.url);
    if (o.lock_timeout_ms) log::info("lock timeout {} ms", *o.lock_timeout_ms);

    PgConn coordinator;
    log::info("connecting to the coordinator: {}", log::printable_conninfo(o.coordinator));
    try {
      coordinator = PgConn::connect(o.coordinator, "pgload");
    } catch (const PgError& e) {
      log::failed_statement(e);
      throw LoadError(kExitCluster, "coordinator: " + std::string(e.what()));
    }
    std::optional<Backend> forced;
    if (!o.backend.empty()) forced = parse_backend(o.backend);
    Catalog catalog = Catalog::load(coordinator, forced);
    log::info("catalog read from {}: backend {}, {} node(s)", coordinator.endpoint(), backend_name(catalog.backend()),
              catalog.nodes().size());
    for (const auto& spec : o.node_conninfo) {
      auto [endpoint, conninfo] = parse_node_conninfo(spec);
      catalog.set_node_conninfo(endpoint, conninfo);
      log::info("worker {} is reached with {}", endpoint, log::printable_conninfo(conninfo));
    }
    if (o.command == "recover") return run_recover(catalog, o.json);
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
    code = run_load(o, catalog, report);
  } catch (const LoadError& e) {
    code = e.code();
    report.error = e.what();
  } catch (const UsageError& e) {
    code = kExitUsage;
    report.error = e.what();
  } catch (const SourceError& e) {
    code = kExitSource;
    report.error = std::string(e.what()) + "; nothing was loaded";
  } catch (const PgError& e) {
    log::failed_statement(e);
    code = kExitCluster;
    report.error = std::string(e.what()) + "; nothing was loaded";
  } catch (const std::exception& e) {
    code = kExitCluster;
    report.error = e.what();
  }
  // libpq repeats a malformed conninfo/URI in its errors: never print a password that came with it.
  report.error = redact_conninfo(report.error);
  report.exit_code = code;
  if (code != kExitLoaded) report.outcome = code == kExitInDoubt ? "in_doubt" : "failed";
  if (o.json) {
    std::printf("%s\n", report_json(report).c_str());
  } else if (!report.error.empty()) {
    std::fprintf(stderr, "pgload: %s\n", report.error.c_str());
  } else if (!o.quiet) {
    std::fputs(report_text(report, o.dry_run).c_str(), stdout);
  }
  return code;
}

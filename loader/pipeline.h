// The load pipeline on oneTBB: a serial stage cuts the byte stream into chunks at record boundaries, a parallel
// stage tokenizes, validates, hashes and routes each chunk's rows into per-shard buffers, a serial in-order stage
// collects them into per-shard batches (or only counts them in a dry run), and a last serial stage seals full
// batches (sorted by the distribution key) and hands them to the sink.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "loader/column_defaults.h"
#include "loader/copy_sink.h"
#include "loader/csv_tokenizer.h"
#include "loader/input_reader.h"
#include "loader/options.h"
#include "loader/source.h"
#include "loader/text_tokenizer.h"
#include "loader/value_check.h"

namespace pgload {
namespace parquet {
struct ParquetInput;
}

// Progress counters: bumped by the pipeline, read by the reporter thread.
struct LoadCounters {
  std::atomic<uint64_t> bytes{0};  // decompressed input bytes consumed
  std::atomic<uint64_t> rows{0};   // rows routed (not rejected)
  std::atomic<uint64_t> rejected{0};
  // Of the rows, those sent as CSV although the table goes as binary COPY (a value without an exact binary form).
  std::atomic<uint64_t> csv_rows{0};
  // Per input file, this run's rows and input bytes: written by the pipeline's serial stages, read once it is done.
  std::vector<uint64_t> file_rows, file_bytes;
};

// What the pipeline needs to know about the target, resolved once before it starts.
struct LoadPlan {
  const Table* table = nullptr;
  std::vector<int> file_columns;  // file field i -> index into table->columns
  // Columns the input leaves out that have a DEFAULT (index into table->columns): each row gets their values from
  // `defaults`, after its file fields. Fields 0..n-1 below are the file's, n.. these.
  std::vector<int> default_columns;
  ColumnDefaults* defaults = nullptr;  // set when default_columns is not empty
  int dist_field = -1;                 // field holding the distribution column; -1 for reference tables
  std::vector<ColumnType> types;       // per field
  std::vector<bool> not_null;          // per field
  CsvDialect dialect;                  // text format: only the delimiter counts
  std::string null_string;             // compared with the raw field (csv: unquoted; text: before de-escaping)
  InputFormat format = InputFormat::Csv;
  bool skip_header = false;  // text format with --header: the first line of each file is skipped unread, as COPY does
  bool csv_header = false;   // csv with --header: each file's first record is a header...
  std::vector<std::string> header;  // ...that must name these columns
  bool validate_utf8 = true;
  bool latin1 = false;              // input is LATIN1: converted to UTF-8 before parsing, sent as UTF-8
  bool binary = false;              // rows go as binary COPY where they can (binary_encodable(types)); else CSV
  bool sort_batches = true;         // each shard batch sorted by the distribution key (distributed tables)
  bool distinct_keys_known = true;  // a sealed batch says whether a distribution value repeats (exact sort keys)
  size_t chunk_bytes = 1 << 20;
  size_t batch_bytes = 1 << 20;
  int64_t max_errors = 0;
  std::FILE* reject_file = nullptr;
  // Parquet input: row groups are the chunks (read by the file, not from the ByteSource), every row goes as binary
  // COPY; cursor.byte counts the compressed bytes of the row groups done, cursor.line the next row (1-based).
  const parquet::ParquetInput* parquet = nullptr;
};

// Reads the header record (CSV with --header) and returns its field values; `carry` receives bytes read past it.
std::vector<std::string> read_csv_header(ByteSource& source, const CsvDialect& dialect, std::string& carry,
                                         uint64_t& header_bytes);

// Where the pipeline stands in the load's input between two steps of a checkpointed load: the file, the bytes read
// past its last record end, and the (file-local) line and byte offset of its next record.
struct InputCursor {
  size_t file = 0;    // index into the load's inputs
  bool open = false;  // `file` is open: `carry` holds its bytes past `byte`, `eof` and `eol` are its own
  std::string carry;
  uint64_t line = 1;
  uint64_t byte = 0;
  bool eof = false;                // the file's stream has returned its end
  TextEol eol = TextEol::Unknown;  // text format: the file's line terminator, once known
};

// Opens the cursor's file at cursor.byte (the files before it are done with). At the start of a file with a CSV
// header (`csv_header`), reads the header, moves the cursor past it and returns its names; else returns {}.
std::vector<std::string> open_input_file(InputReader& inputs, InputCursor& cursor, const CsvDialect& dialect,
                                         bool csv_header);

// Runs the pipeline from `cursor` until the chunk that reaches step_bytes more input bytes (chunks end at record
// boundaries; a compressed file is never left in the middle: a step ends after it) or the end of the input (step_bytes
// 0: to the end); then flushes every batch and advances `cursor`, opening the files in turn (each file's CSV header
// must name plan.header). Returns true at the end of the last file. Rejects count on from counters.rejected
// (--max-errors spans the steps).
bool run_pipeline_step(InputReader& inputs, InputCursor& cursor, uint64_t step_bytes, const LoadPlan& plan, int threads,
                       const std::function<void(std::shared_ptr<Batch>)>& submit, std::vector<uint64_t>& rows_per_shard,
                       LoadCounters& counters);

// Runs the pipeline to the end of the input. `submit` receives full batches (nullptr in a dry run);
// rows_per_shard counts routed rows. Throws LoadError on a fatal input problem or when rejects pass max_errors.
void run_pipeline(InputReader& inputs, InputCursor cursor, const LoadPlan& plan, int threads,
                  const std::function<void(std::shared_ptr<Batch>)>& submit, std::vector<uint64_t>& rows_per_shard,
                  LoadCounters& counters);

}  // namespace pgload

// Hot path: per chunk, not per row, are all allocations (buffers are pooled with the chunks). A row goes as binary
// COPY when the table's types allow it and every value has an exact encoding, else as its raw CSV bytes (or the
// NDJSON reader's CSV, or COPY text re-escaped from the decoded values), which the server parses exactly as the
// client validated them.
#include "loader/pipeline.h"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <mutex>

#include "loader/binary_row.h"
#include "loader/decompress.h"
#include "loader/load_error.h"
#include "loader/ndjson_reader.h"
#include "loader/parquet/parquet_error.h"
#include "loader/parquet/parquet_input.h"
#include "loader/router.h"
#include "loader/shard_batcher.h"
#include "loader/simd_bytes.h"

namespace pgload {
namespace {

constexpr size_t kMaxRecordBytes = 256u << 20;  // a record longer than this is surely an unterminated quote

struct Reject {
  uint64_t line, byte;
  std::string column;  // empty when the record as a whole is wrong
  std::string reason;
  std::string raw;
};

struct Chunk {
  // The chunk's bytes are buf's from `begin` on: a block the reader handed over whole has headroom in front.
  std::string buf;
  size_t begin = 0;
  std::string_view data() const noexcept { return {buf.data() + begin, buf.size() - begin}; }
  size_t file = 0;  // index of its input file; first_line and byte_offset are that file's
  uint64_t first_line = 1, byte_offset = 0;
  uint64_t newlines = 0;       // line ends in data: a record ends at each (and one may end at EOF)
  uint64_t bytes_through = 0;  // input bytes of the load consumed up to this chunk's end (for the counters)
  bool at_eof = false, stream_start = false;
  CsvChunk tok;
  TextChunk text_tok;
  TextEol eol = TextEol::Unknown;   // text format: the stream's line terminator, known before the chunk is cut
  std::vector<ShardRows> csv, bin;  // per shard: CSV records each ending in '\n'; binary rows (no header)
  std::vector<OpenBatch> full;      // batches the deliver stage completed, sealed by the last stage
  std::vector<Reject> rejects;
  std::string scratch, ndjson_row, bin_row, text_row;  // bin_row: a parquet row's binary form
  RowBytes row_bytes;                                  // a delimited row's binary form
  uint64_t rows = 0;
  // Values for the left-out columns with defaults: record i of the chunk takes row i (at least one row per record).
  std::vector<std::optional<std::string>> default_values;
  size_t default_rows = 0;
  std::shared_future<void> defaults_ready;     // default_values are filled (or the evaluation failed)
  size_t row_group = 0;                        // parquet: the row group this chunk is
  std::vector<parquet::ColumnValues> pq_cols;  // parquet: its decoded columns (buffers reused)
};

// Appends `value` as a quoted CSV field (or the unquoted NULL string) after a delimiter.
void append_csv_field(std::string& out, const CsvDialect& d, std::string_view null_string,
                      const std::optional<std::string>& value) {
  out.push_back(d.delimiter);
  if (!value) {
    out.append(null_string);
    return;
  }
  out.push_back(d.quote);
  for (char ch : *value) {
    if (ch == d.quote || ch == d.escape) out.push_back(d.escape);
    out.push_back(ch);
  }
  out.push_back(d.quote);
}

// Excerpt of a record for messages: the first 200 bytes, control characters shown as spaces.
std::string excerpt(std::string_view raw) {
  std::string s(raw.substr(0, 200));
  for (char& ch : s)
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
  if (raw.size() > 200) s += "...";
  return s;
}

const char* record_error_reason(CsvRecordError e) {
  switch (e) {
    case CsvRecordError::UnterminatedQuote:
      return "unterminated quoted field at end of input";
    case CsvRecordError::CarriageReturn:
      return "unquoted carriage return found in data (mixed line endings?)";
    case CsvRecordError::EndOfDataMarker:
      return "a line holding only \\. is PostgreSQL's end-of-data marker; quote it";
    case CsvRecordError::None:
      break;
  }
  return "malformed record";
}

const char* text_error_reason(TextRecordError e) {
  switch (e) {
    case TextRecordError::CarriageReturn:
      return "literal carriage return found in data (mixed line endings? write \\r for a carriage return)";
    case TextRecordError::Newline:
      return "literal newline found in data (mixed line endings? write \\n for a newline)";
    case TextRecordError::MarkerCorrupt:
      return "end-of-copy marker corrupt (\\. must end its line; write \\\\. for a backslash and a dot)";
    case TextRecordError::MarkerEolMismatch:
      return "end-of-copy marker does not match previous newline style";
    case TextRecordError::None:
      break;
  }
  return "malformed record";
}

// Position of the first invalid UTF-8 byte in s, or npos.
size_t first_bad_utf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned char c = p[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    for (size_t k = 1; k < n; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    if (n == 2 && c < 0xC2) return i;
    if (n == 3) {
      uint32_t cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    }
    if (n == 4) {
      uint32_t cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      if (cp < 0x10000 || cp > 0x10FFFF) return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

// LATIN1 input is converted to UTF-8 per chunk (ASCII delimiters and quotes keep their places), so values are
// validated and distribution values hashed exactly as the server sees them after its own conversion.
// True when the bytes changed.
bool to_utf8_from_latin1(Chunk& c) {
  size_t high = 0;
  for (unsigned char ch : c.data()) high += ch >= 0x80;
  if (high == 0) return false;
  std::string& out = c.scratch;
  out.clear();
  out.reserve(c.data().size() + high);
  for (unsigned char ch : c.data()) {
    if (ch < 0x80) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back(static_cast<char>(0xC0 | (ch >> 6)));
      out.push_back(static_cast<char>(0x80 | (ch & 0x3F)));
    }
  }
  c.buf.swap(out);
  c.begin = 0;
  return true;
}

// Tokenizes a CSV or text chunk into c.tok or c.text_tok: its whole records, and the last one too when at_eof.
// Returns where they end, 0 when no record is whole yet. The read stage cuts each chunk there, so that a chunk is
// read once to find its records and its end (a pass of its own to find the end cost as much again).
size_t tokenize_chunk(const LoadPlan& plan, Chunk& c, bool at_eof) {
  const std::string_view data = c.data();
  if (plan.format == InputFormat::Csv) {
    tokenize_csv(data.data(), data.size(), plan.dialect, at_eof, c.tok, c.stream_start);
    return c.tok.records_end();
  }
  tokenize_text(data.data(), data.size(), plan.dialect.delimiter, c.eol, at_eof, c.text_tok);
  // After a `\.` the server reads nothing more: the chunk keeps the rest, which is never delivered.
  return c.text_tok.end_of_data ? data.size() : c.text_tok.records_end();
}

class ChunkWorker {
 public:
  ChunkWorker(const LoadPlan& plan, const Router& router) : plan_(plan), router_(router) {}

  void process(Chunk& c) const {
    const size_t shards = plan_.table->shards.size();
    c.csv.resize(shards);
    c.bin.resize(shards);
    // Parquet rows count from the row group's first row, in the row group; text rows from the chunk's first line
    // and byte.
    const PieceStart start{c.first_line, plan_.parquet ? c.row_group : c.byte_offset, static_cast<uint32_t>(c.file)};
    for (auto* kind : {&c.csv, &c.bin}) {
      for (ShardRows& o : *kind) {
        o.clear();
        o.start = start;
      }
    }
    // A shard's rows of this chunk (and their origins) become one piece of its batch and stay until the batch is
    // sent: sized up front (its share of the chunk's bytes and line ends, plus the binary framing), they are not
    // copied while they grow and do not carry a doubling buffer's slack.
    const size_t share = c.data().size() / shards + c.data().size() / shards / 4 + 256;
    const size_t row_share = c.newlines / shards + c.newlines / shards / 4 + 16;
    for (auto& o : plan_.binary ? c.bin : c.csv) {
      o.data.reserve(share);
      o.rows.reserve(row_share);
    }
    c.rejects.clear();
    c.rows = 0;
    if (plan_.parquet) {
      process_parquet(c);
      return;
    }
    if (c.defaults_ready.valid()) c.defaults_ready.get();  // rethrows a failed evaluation
    // The converted bytes lie elsewhere: their records are found again.
    if (plan_.latin1 && to_utf8_from_latin1(c) && plan_.format != InputFormat::Ndjson)
      tokenize_chunk(plan_, c, c.at_eof);
    bool utf8_ok = !plan_.validate_utf8 || simdjson::validate_utf8(c.data().data(), c.data().size());
    if (plan_.format == InputFormat::Csv)
      process_csv(c, utf8_ok);
    else if (plan_.format == InputFormat::Text)
      process_text(c, utf8_ok);
    else
      process_ndjson(c, utf8_ok);
  }

 private:
  [[gnu::cold]] void reject(Chunk& c, uint64_t line, uint64_t byte, int field, std::string reason,
                            std::string_view raw) const {
    std::string column;
    const size_t n = plan_.file_columns.size();
    if (field >= 0)
      column =
          plan_.table
              ->columns[static_cast<size_t>(field) < n ? plan_.file_columns[field] : plan_.default_columns[field - n]]
              .name;
    c.rejects.push_back({line, byte, std::move(column), std::move(reason), std::string(raw)});
  }

  // One parse of a value (nothing for NULL), made straight into the caller's PgInput.
  [[gnu::always_inline]] PgInput parse(int j, const std::optional<std::string_view>& value, bool nul_free) const {
    if (!value) return {};
    return parse_pg_input(plan_.types[j], *value, nul_free);
  }

  // Checks one value and its parse (which add_field then encodes); returns false (after recording a reject) when
  // the row must be rejected. Inline, its refusals out of line: it runs for every value.
  [[gnu::always_inline]] bool check_field(Chunk& c, uint64_t line, uint64_t byte, int j,
                                          const std::optional<std::string_view>& value, std::string_view raw,
                                          int& shard, const PgInput& parsed) const {
    if (!value) return check_null(c, line, byte, j, raw);
    if (j == plan_.dist_field) {
      shard = router_.route(parsed, *value);
      if (shard < 0) [[unlikely]] {
        refuse_route(c, line, byte, j, shard, *value, raw);
        return false;
      }
      prefetch_end(plan_.binary ? c.bin[shard] : c.csv[shard]);
    }
    if (parsed.status == PgInput::Status::Error) [[unlikely]] {
      reject(c, line, byte, j, std::string(parsed.error) + ": \"" + excerpt(*value) + "\"", raw);
      return false;
    }
    return true;
  }

  // The row's shard is known while its other values are still to parse: its bytes and origin will be written at
  // the ends of that shard's buffers, which are one of 32 or more streams of writes (too many for the hardware to
  // see) into memory not touched since the buffers were last used. Fetched now, the writes do not wait for it.
  static void prefetch_end(const ShardRows& out) noexcept {
    const char* at = out.data.data() + out.data.size();
    __builtin_prefetch(at, 1);
    __builtin_prefetch(at + 64, 1);
    __builtin_prefetch(out.rows.data() + out.rows.size(), 1);
  }

  bool check_null(Chunk& c, uint64_t line, uint64_t byte, int j, std::string_view raw) const {
    if (j == plan_.dist_field) {
      reject(c, line, byte, j, "NULL in the distribution column", raw);
      return false;
    }
    if (plan_.not_null[j]) {
      reject(c, line, byte, j, "NULL in a NOT NULL column", raw);
      return false;
    }
    return true;
  }

  [[gnu::cold]] void refuse_route(Chunk& c, uint64_t line, uint64_t byte, int j, int shard, std::string_view value,
                                  std::string_view raw) const {
    if (shard == -1)
      reject(c, line, byte, j, router_.refusal(value, excerpt(value)), raw);
    else
      reject(c, line, byte, j, "no shard's hash range holds this value (gap in pg_dist_shard)", raw);
  }

  // What every delimited format checks of a whole record before its values: the column count, then UTF-8. False
  // (after recording a reject) when the record is refused.
  [[gnu::always_inline]] bool check_record(Chunk& c, uint64_t line, uint64_t byte, std::string_view raw,
                                           size_t field_count, bool utf8_ok) const {
    if (field_count == plan_.file_columns.size() && utf8_ok) [[likely]]
      return true;
    return check_record_slow(c, line, byte, raw, field_count, utf8_ok);
  }

  bool check_record_slow(Chunk& c, uint64_t line, uint64_t byte, std::string_view raw, size_t field_count,
                         bool utf8_ok) const {
    const size_t ncols = plan_.file_columns.size();
    if (field_count != ncols) {
      reject(c, line, byte, -1, "expected " + std::to_string(ncols) + " columns, found " + std::to_string(field_count),
             raw);
      return false;
    }
    const size_t bad = utf8_ok ? std::string_view::npos : first_bad_utf8(raw);
    if (bad == std::string_view::npos) return true;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(raw[bad]));
    reject(c, line, byte + bad, -1, std::string("invalid UTF-8 byte ") + hex, raw);
    return false;
  }

  // Starts the binary form of a row in c.row_bytes; false when the table goes as CSV.
  bool start_binary_row(Chunk& c, size_t fields) const {
    if (!plan_.binary) return false;
    c.row_bytes.clear();
    append_binary_row_start(c.row_bytes, static_cast<uint16_t>(fields));
    return true;
  }

  // After a value passed check_field: its binary form (binary turns false when it has none: the row goes as CSV)
  // and, for the distribution column when batches are sorted, the row's sort key.
  [[gnu::always_inline]] void add_field(Chunk& c, int j, const std::optional<std::string_view>& value,
                                        const PgInput& parsed, bool& binary, uint64_t& key) const {
    if (binary) {
      if (value)
        binary = append_binary_field(c.row_bytes, plan_.types[j], parsed);
      else
        append_binary_null(c.row_bytes);
    }
    if (j == plan_.dist_field && value && plan_.sort_batches) key = sort_key(plan_.types[j].type, parsed, *value);
  }

  // The values of the left-out columns for record `rec` of the chunk: checked, routed and (binary) encoded like
  // file fields. False (after recording a reject) when the row must be rejected.
  [[gnu::always_inline]] bool add_defaults(Chunk& c, size_t rec, uint64_t line, uint64_t byte, std::string_view raw,
                                           int& shard, bool& binary, uint64_t& key) const {
    if (plan_.default_columns.empty()) return true;
    return add_default_values(c, rec, line, byte, raw, shard, binary, key);
  }

  bool add_default_values(Chunk& c, size_t rec, uint64_t line, uint64_t byte, std::string_view raw, int& shard,
                          bool& binary, uint64_t& key) const {
    const size_t k_count = plan_.default_columns.size();
    const int n = static_cast<int>(plan_.file_columns.size());
    if (rec >= c.default_rows) {  // more records than line ends: cannot happen, but never send a row without them
      reject(c, line, byte, -1, "internal error: no default values for this record", raw);
      return false;
    }
    for (size_t k = 0; k < k_count; ++k) {
      const auto& v = c.default_values[rec * k_count + k];
      std::optional<std::string_view> value;
      if (v) value = *v;
      const int j = n + static_cast<int>(k);
      const PgInput parsed = parse(j, value, false);
      if (!check_field(c, line, byte, j, value, raw, shard, parsed)) return false;
      add_field(c, j, value, parsed, binary, key);
    }
    return true;
  }

  // Checks, routes and encodes the values of record `rec` (its file fields, then the defaults) into c.row_bytes:
  // `field(j, value, at)` gives file field j and its input byte offset, or false after recording a reject. False
  // when the row is rejected.
  template <class Field>
  bool add_record(Chunk& c, size_t rec, uint64_t line, uint64_t byte, std::string_view raw, bool nul_free, Field field,
                  int& shard, bool& binary, uint64_t& key) const {
    const size_t ncols = plan_.file_columns.size();
    binary = start_binary_row(c, ncols + plan_.default_columns.size());
    for (size_t j = 0; j < ncols; ++j) {
      std::optional<std::string_view> value;
      uint64_t at = byte;
      const int jj = static_cast<int>(j);
      if (!field(j, value, at)) return false;
      const PgInput parsed = parse(jj, value, nul_free);
      if (!check_field(c, line, at, jj, value, raw, shard, parsed)) return false;
      add_field(c, jj, value, parsed, binary, key);
    }
    return add_defaults(c, rec, line, byte, raw, shard, binary, key);
  }

  // Appends the record's default values as fields of `dialect` CSV.
  void append_csv_defaults(Chunk& c, size_t rec, std::string& out, const CsvDialect& dialect,
                           std::string_view null_string) const {
    const size_t k_count = plan_.default_columns.size();
    for (size_t k = 0; k < k_count; ++k)
      append_csv_field(out, dialect, null_string, c.default_values[rec * k_count + k]);
  }

  // Where a row of `bytes` bytes came from (line and byte are the input's; Parquet: row and row group), counted from
  // the start of the piece it goes to.
  static RowOrigin origin(const ShardRows& out, size_t bytes, uint64_t line, uint64_t byte, uint32_t newlines,
                          uint64_t key) {
    return {key, static_cast<uint32_t>(bytes), newlines, static_cast<uint32_t>(line - out.start.line),
            static_cast<uint32_t>(byte - out.start.byte_offset)};
  }

  static void emit(ShardRows& out, std::string_view row, uint64_t line, uint64_t byte, uint32_t newlines,
                   uint64_t key) {
    out.data.append(row);
    out.rows.push_back(origin(out, row.size(), line, byte, newlines, key));
  }

  void process_csv(Chunk& c, bool utf8_ok) const {
    const char* data = c.data().data();
    // One search of the chunk instead of one per value: de-quoting only drops bytes.
    const bool nul_free = std::memchr(data, '\0', c.data().size()) == nullptr;
    uint64_t line = c.first_line;
    const size_t ncols = plan_.file_columns.size();
    const size_t nfields = ncols + plan_.default_columns.size();
    for (const CsvRecord& r : c.tok.records) {
      const auto rec = static_cast<size_t>(&r - c.tok.records.data());
      const uint64_t rec_line = line;
      line += r.newlines + 1;
      const uint64_t byte = c.byte_offset + r.begin;
      std::string_view raw(data + r.begin, r.end - r.begin);
      if (r.error != CsvRecordError::None) {
        reject(c, rec_line, c.byte_offset + r.error_offset, -1, record_error_reason(r.error), raw);
        continue;
      }
      if (!check_record(c, rec_line, byte, raw, r.field_count, utf8_ok)) continue;
      int shard = 0;
      bool binary = false;
      uint64_t key = 0;
      const auto field = [&](size_t j, std::optional<std::string_view>& value, uint64_t& at) {
        const CsvField& f = c.tok.fields[r.first_field + j];
        at = c.byte_offset + f.begin;
        if (f.quoted || std::string_view(data + f.begin, f.end - f.begin) != plan_.null_string)
          value = csv_field_value(data, f, plan_.dialect, c.scratch);
        return true;
      };
      if (!add_record(c, rec, rec_line, byte, raw, nul_free, field, shard, binary, key)) continue;
      if (binary) {
        emit(c.bin[shard], c.row_bytes.view(), rec_line, byte, r.newlines, key);
      } else if (nfields > ncols) {
        c.text_row.assign(raw);
        append_csv_defaults(c, rec, c.text_row, plan_.dialect, plan_.null_string);
        c.text_row.push_back('\n');
        emit(c.csv[shard], c.text_row, rec_line, byte, r.newlines, key);
      } else {
        ShardRows& out = c.csv[shard];
        out.data.append(raw);
        out.data.push_back('\n');
        out.rows.push_back(origin(out, raw.size() + 1, rec_line, byte, r.newlines, key));
      }
      ++c.rows;
    }
  }

  // A de-escaped text value, or nullopt for the NULL marker (matched against the raw bytes, as COPY does); false
  // (after recording a reject) when an octal or hex escape made bytes that are not valid UTF-8.
  bool text_value(Chunk& c, const TextField& f, uint64_t line, int j, std::string_view raw,
                  std::optional<std::string_view>& value) const {
    const char* data = c.data().data();
    value.reset();
    if (std::string_view(data + f.begin, f.end - f.begin) == plan_.null_string) return true;
    bool needs_check = false;
    value = text_field_value(data, f, c.scratch, needs_check);
    if (!needs_check) return true;
    size_t bad = value->find('\0');
    if (bad == std::string_view::npos) bad = first_bad_utf8(*value);
    if (bad == std::string_view::npos) return true;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>((*value)[bad]));
    reject(c, line, c.byte_offset + f.begin, j,
           std::string("invalid byte sequence for encoding \"UTF8\": ") + hex + " (from an escape)", raw);
    return false;
  }

  // The row in canonical COPY text form (TAB between fields, \N for NULL), for rows that cannot go as binary.
  void append_text_row(Chunk& c, const TextRecord& r, size_t rec) const {
    c.text_row.clear();
    for (uint32_t j = 0; j < r.field_count; ++j) {
      const TextField& f = c.text_tok.fields[r.first_field + j];
      if (j > 0) c.text_row.push_back('\t');
      if (std::string_view(c.data().data() + f.begin, f.end - f.begin) == plan_.null_string) {
        c.text_row += "\\N";
        continue;
      }
      bool needs_check = false;
      append_text_escaped(c.text_row, text_field_value(c.data().data(), f, c.scratch, needs_check));
    }
    const size_t k_count = plan_.default_columns.size();
    for (size_t k = 0; k < k_count; ++k) {
      const auto& v = c.default_values[rec * k_count + k];
      c.text_row.push_back('\t');
      if (v)
        append_text_escaped(c.text_row, *v);
      else
        c.text_row += "\\N";
    }
    c.text_row.push_back('\n');
  }

  // COPY text: fields are de-escaped here and feed the same checks and binary encoding as CSV values. A row that
  // cannot go as binary is re-escaped in canonical form, never forwarded raw: the server then needs no knowledge
  // of the input's delimiter, NULL marker or line ends, and a lone backslash at EOF cannot change meaning.
  void process_text(Chunk& c, bool utf8_ok) const {
    const char* data = c.data().data();
    // One search of the chunk instead of one per value: text_value checks what an escape makes.
    const bool nul_free = std::memchr(data, '\0', c.data().size()) == nullptr;
    uint64_t line = c.first_line;
    const auto& records = c.text_tok.records;
    // COPY's HEADER skips the first line whatever it holds (only a `\.` in it still ends the data).
    const size_t first = c.stream_start && plan_.skip_header && !records.empty() && records[0].begin == 0 ? 1 : 0;
    if (first) line += records[0].newlines + 1;
    for (size_t i = first; i < records.size(); ++i) {
      const TextRecord& r = records[i];
      const uint64_t rec_line = line;
      line += r.newlines + 1;
      const uint64_t byte = c.byte_offset + r.begin;
      std::string_view raw(data + r.begin, r.end - r.begin);
      if (r.error != TextRecordError::None) {
        reject(c, rec_line, c.byte_offset + r.error_offset, -1, text_error_reason(r.error), raw);
        continue;
      }
      if (!check_record(c, rec_line, byte, raw, r.field_count, utf8_ok)) continue;
      int shard = 0;
      bool binary = false;
      uint64_t key = 0;
      const auto field = [&](size_t j, std::optional<std::string_view>& value, uint64_t& at) {
        const TextField& f = c.text_tok.fields[r.first_field + j];
        at = c.byte_offset + f.begin;
        return text_value(c, f, rec_line, static_cast<int>(j), raw, value);
      };
      if (!add_record(c, i, rec_line, byte, raw, nul_free, field, shard, binary, key)) continue;
      if (binary) {
        emit(c.bin[shard], c.row_bytes.view(), rec_line, byte, r.newlines, key);
      } else {
        append_text_row(c, r, i);
        emit(c.csv[shard], c.text_row, rec_line, byte, r.newlines, key);
      }
      ++c.rows;
    }
  }

  void process_ndjson(Chunk& c, bool utf8_ok) const {
    thread_local std::unique_ptr<NdjsonReader> reader;
    thread_local const LoadPlan* reader_plan = nullptr;
    if (!reader || reader_plan != &plan_) {
      std::vector<std::string> names;
      for (int idx : plan_.file_columns) names.push_back(plan_.table->columns[idx].name);
      reader = std::make_unique<NdjsonReader>(names, plan_.dist_field);
      reader_plan = &plan_;
    }
    const std::string_view all = c.data();
    uint64_t line = c.first_line;
    size_t pos = 0;
    while (pos < all.size()) {
      size_t nl = all.find('\n', pos);
      size_t end = nl == std::string_view::npos ? all.size() : nl;
      std::string_view text = all.substr(pos, end - pos);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      const uint64_t byte = c.byte_offset + pos;
      const auto rec = static_cast<size_t>(line - c.first_line);
      const uint64_t rec_line = line++;
      pos = end + 1;
      if (text.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines carry no row
      if (!utf8_ok) {
        size_t bad = first_bad_utf8(text);
        if (bad != std::string_view::npos) {
          reject(c, rec_line, byte + bad, -1, "invalid UTF-8", text);
          continue;
        }
      }
      c.ndjson_row.clear();
      std::optional<std::string_view> key;
      NdjsonError err = reader->convert(text, c.ndjson_row, key);
      if (err) {
        reject(c, rec_line, byte + err.byte_in_line, err.column,
               std::string(err.reason) + (err.key.empty() ? "" : " (key \"" + err.key + "\")"), text);
        continue;
      }
      const auto& values = reader->values();
      int shard = 0;
      bool binary = false;
      uint64_t sort = 0;
      const auto field = [&values](size_t j, std::optional<std::string_view>& value, uint64_t&) {
        value = values[j];
        return true;
      };
      if (!add_record(c, rec, rec_line, byte, text, false, field, shard, binary, sort)) continue;
      if (binary) {
        emit(c.bin[shard], c.row_bytes.view(), rec_line, byte, 0, sort);
      } else {
        append_csv_defaults(c, rec, c.ndjson_row, CsvDialect{}, "");
        c.ndjson_row.push_back('\n');
        emit(c.csv[shard], c.ndjson_row, rec_line, byte, 0, sort);
      }
      ++c.rows;
    }
  }

  // A Parquet value's sort key, as sort_key() gives it for the same value's text.
  static uint64_t parquet_sort_key(PgType t, const parquet::Converted& v) noexcept {
    if (t == PgType::Int2 || t == PgType::Int4 || t == PgType::Int8 || t == PgType::Date || t == PgType::Time ||
        t == PgType::Timestamp || t == PgType::Timestamptz)
      return static_cast<uint64_t>(v.integer) ^ (uint64_t{1} << 63);
    return sort_key_of_bytes(v.bytes.empty() ? std::string_view(v.numeric_text) : v.bytes);
  }

  // The hash of a distribution value from its typed form where the kind allows it, exactly as the text path
  // hashes the same value; else (numeric, jsonb, enum, ...) the shard from its text through the router.
  int parquet_shard(const ColumnType& t, const parquet::Converted& v, std::string_view& text_out) const {
    const std::optional<DistKind> kind = router_.kind();
    if (!kind) return 0;
    switch (t.type) {
      case PgType::Int2:
      case PgType::Int4:
        return router_.route_hash(hash_int4(static_cast<int32_t>(v.integer)));
      case PgType::Int8:
        return router_.route_hash(hash_int8(v.integer));
      case PgType::Date:
        return router_.route_hash(hash_int4(static_cast<int32_t>(v.integer)));
      case PgType::Time:
      case PgType::Timestamp:
      case PgType::Timestamptz:
        return router_.route_hash(hash_int8(v.integer));
      case PgType::Float4:
        return router_.route_hash(hash_float4(static_cast<float>(v.real)));
      case PgType::Float8:
        return router_.route_hash(hash_float8(v.real));
      case PgType::Bool:
        return router_.route_hash(hash_oid(v.boolean ? 1 : 0));
      case PgType::Uuid: {
        uint8_t u[16];
        std::memcpy(u, v.bytes.data(), 16);
        return router_.route_hash(hash_uuid(u));
      }
      case PgType::Bytea:
        return router_.route_hash(hash_text(v.bytes));
      case PgType::Text:
      case PgType::Varchar:
      case PgType::Bpchar:
        if (*kind == DistKind::Text) return router_.route_hash(hash_text(v.bytes));
        if (*kind == DistKind::Bpchar) return router_.route_hash(hash_bpchar(v.bytes));
        text_out = v.bytes;
        return router_.route(v.bytes);
      case PgType::Json:
      case PgType::Jsonb:
        text_out = v.bytes;
        return router_.route(v.bytes);
      case PgType::Numeric:
        text_out = v.numeric_text;
        return router_.route(v.numeric_text);
      default:  // parquet::target_for gives no other type
        break;
    }
    return -1;
  }

  // A row group: its columns decoded, then every row converted from the typed values into binary COPY.
  void process_parquet(Chunk& c) const {
    const parquet::ParquetInput& in = *plan_.parquet;
    try {
      in.file->read_row_group(c.row_group, in.leaves, c.pq_cols);
    } catch (const parquet::ParquetError& e) {
      throw LoadError(kExitInputErrors, e.what());
    }
    const auto& leaves = in.file->leaves();
    const size_t ncols = plan_.file_columns.size();
    const int64_t nrows = in.file->meta().row_groups[c.row_group].num_rows;
    // Each shard's rows sized up front from the decoded values (binary framing included), as process() does from
    // a text chunk's size: no doubling while appending.
    size_t bytes = static_cast<size_t>(nrows) * (2 + 4 * ncols);
    for (const parquet::ColumnValues& col : c.pq_cols) {
      bytes += 8 * (col.ints.size() + col.reals.size()) + 1;
      for (std::string_view b : col.bytes) bytes += b.size();
    }
    const size_t shards = c.bin.size();
    for (ShardRows& out : c.bin) {
      out.data.reserve(bytes / shards + bytes / shards / 4 + 256);
      out.rows.reserve(static_cast<size_t>(nrows) / shards + static_cast<size_t>(nrows) / shards / 4 + 16);
    }
    std::vector<size_t> next(in.leaves.size(), 0);  // per leaf read: its next value
    std::vector<int> value_at(ncols);               // per field this row: the value's slot (-1 NULL)
    parquet::Converted conv;
    std::vector<parquet::NestedRows> nested;  // per nested field: its rows assembled from its leaves' levels
    for (const parquet::NestedPlan& p : in.nested) {
      std::vector<const parquet::ColumnValues*> cols;
      for (int slot : p.slots) cols.push_back(&c.pq_cols[static_cast<size_t>(slot)]);
      nested.emplace_back(p.shape, leaves, std::move(cols));
    }
    for (int64_t r = 0; r < nrows; ++r) {
      const uint64_t row_no = c.first_line + static_cast<uint64_t>(r);
      for (parquet::NestedRows& n : nested)
        if (!n.next_row())
          throw LoadError(kExitInputErrors, in.file->name() + ": row group " + std::to_string(c.row_group) +
                                                ": a nested column's levels end before row " + std::to_string(r));
      for (size_t j = 0; j < ncols; ++j) {
        const int slot = in.slot_of_field[j];
        value_at[j] = -1;
        if (const int n = in.nested_of_field[j]; n >= 0) {
          value_at[j] = nested[static_cast<size_t>(n)].null() ? -1 : 0;
          continue;
        }
        if (slot < 0) continue;
        const parquet::ColumnValues& col = c.pq_cols[static_cast<size_t>(slot)];
        if (!col.defined.empty() && !col.defined[static_cast<size_t>(r)]) continue;
        value_at[j] = static_cast<int>(next[static_cast<size_t>(slot)]++);
      }
      c.bin_row.clear();
      append_binary_row_start(c.bin_row, static_cast<uint16_t>(ncols));
      int shard = 0;
      uint64_t key = 0;
      bool ok = true;
      for (size_t j = 0; j < ncols && ok; ++j) {
        const int jj = static_cast<int>(j);
        if (value_at[j] < 0) {
          PgInput none;
          ok = check_field(c, row_no, c.row_group, jj, std::nullopt, {}, shard, none);
          if (ok) append_binary_null(c.bin_row);
          continue;
        }
        if (const int n = in.nested_of_field[j]; n >= 0) {  // never the distribution column
          const parquet::NestedPlan& p = in.nested[static_cast<size_t>(n)];
          parquet::NestedRows& rows = nested[static_cast<size_t>(n)];
          const char* why =
              p.array ? rows.append_array(c.bin_row, p.element, p.element_oid) : rows.append_json(c.bin_row, p.jsonb);
          if (why) {
            reject(c, row_no, c.row_group, jj, why, {});
            ok = false;
          }
          continue;
        }
        const int slot = in.slot_of_field[j];
        const parquet::ColumnValues& col = c.pq_cols[static_cast<size_t>(slot)];
        const parquet::LeafColumn& leaf = leaves[static_cast<size_t>(in.leaves[static_cast<size_t>(slot)])];
        const auto k = static_cast<size_t>(value_at[j]);
        parquet::RawValue v;
        conv.bytes = {};
        conv.numeric_text.clear();
        if (!col.ints.empty())
          v.i = col.ints[k];
        else if (!col.reals.empty())
          v.r = col.reals[k];
        else
          v.b = col.bytes[k];
        if (const char* why = parquet::append_pg_field(c.bin_row, leaf, in.targets[j], v, conv)) {
          reject(c, row_no, c.row_group, jj, why, {});
          ok = false;
          break;
        }
        if (jj != plan_.dist_field) continue;
        std::string_view text;
        shard = parquet_shard(in.targets[j], conv, text);
        if (shard == -1) {
          reject(c, row_no, c.row_group, jj, router_.refusal(text, excerpt(text)), {});
          ok = false;
        } else if (shard == -2) {
          reject(c, row_no, c.row_group, jj, "no shard's hash range holds this value (gap in pg_dist_shard)", {});
          ok = false;
        }
        if (plan_.sort_batches) key = parquet_sort_key(in.targets[j].type, conv);
      }
      if (!ok) continue;
      emit(c.bin[static_cast<size_t>(shard)], c.bin_row, row_no, c.row_group, 0, key);
      ++c.rows;
    }
  }

  const LoadPlan& plan_;
  const Router& router_;
};

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i];
  return s;
}

// Reads from the source until `buf` holds at least `want` bytes or the input ends; returns false at EOF.
bool fill(ByteSource& source, std::string& buf, size_t want) {
  while (buf.size() < want) {
    size_t old = buf.size();
    if (source.append_to(buf, std::max<size_t>(want - old, size_t{64} * 1024)) == 0) return false;
  }
  return true;
}

// How far to fill a buffer whose `have` bytes hold no record end yet. The record-end search rescans the buffer from
// its start, so the buffer doubles (linear in the record's length; a fixed step made a 32 MiB field cost 5x a
// 16 MiB one), never past one byte more than the longest record allowed.
size_t fill_target(size_t have, size_t at_least) {
  return std::min(std::max({at_least, have * 2, have + size_t{64} * 1024}), std::max(at_least, kMaxRecordBytes + 1));
}

}  // namespace

std::vector<std::string> read_csv_header(ByteSource& source, const CsvDialect& dialect, std::string& carry,
                                         uint64_t& header_bytes) {
  carry.clear();
  CsvChunk tok;
  for (bool more = true;;) {  // until the header record is whole
    tokenize_csv(carry.data(), carry.size(), dialect, !more, tok, true);
    if (!tok.records.empty() || !more) break;
    if (carry.size() > kMaxRecordBytes) throw LoadError(kExitInputErrors, "line 1: header record is too long");
    more = fill(source, carry, fill_target(carry.size(), 0));
  }
  std::vector<std::string> names;
  if (tok.records.empty()) throw LoadError(kExitInputErrors, "line 1: --header given but the input is empty");
  const CsvRecord& r = tok.records[0];
  std::string scratch;
  for (uint32_t i = 0; i < r.field_count; ++i)
    names.emplace_back(csv_field_value(carry.data(), tok.fields[r.first_field + i], dialect, scratch));
  const size_t consumed = tok.records.size() > 1 ? tok.records[1].begin : tok.consumed;
  // Skip the BOM/record bytes and the terminator of the header only.
  size_t header_end = r.end;
  while (header_end < consumed && (carry[header_end] == '\r' || carry[header_end] == '\n')) {
    bool lf = carry[header_end] == '\n';
    ++header_end;
    if (lf) break;
  }
  header_bytes = header_end;
  carry.erase(0, header_end);
  return names;
}

std::vector<std::string> open_input_file(InputReader& inputs, InputCursor& cursor, const CsvDialect& dialect,
                                         bool csv_header) {
  ByteSource& source = inputs.open(cursor.file, cursor.byte);
  cursor.open = true;
  cursor.eof = false;
  cursor.carry.clear();
  cursor.eol = TextEol::Unknown;
  if (cursor.byte > 0 || !csv_header) return {};
  uint64_t header_bytes = 0;
  std::vector<std::string> names;
  try {
    names = read_csv_header(source, dialect, cursor.carry, header_bytes);
  } catch (const LoadError& e) {
    throw LoadError(e.code(), inputs.where(cursor.file) + e.what());
  }
  cursor.line = 2;
  cursor.byte = header_bytes;
  return names;
}

void run_pipeline(InputReader& inputs, InputCursor cursor, const LoadPlan& plan, int threads,
                  const std::function<void(std::shared_ptr<Batch>)>& submit, std::vector<uint64_t>& rows_per_shard,
                  LoadCounters& counters) {
  run_pipeline_step(inputs, cursor, 0, plan, threads, submit, rows_per_shard, counters);
}

bool run_pipeline_step(InputReader& inputs, InputCursor& cursor, uint64_t step_bytes, const LoadPlan& plan, int threads,
                       const std::function<void(std::shared_ptr<Batch>)>& submit, std::vector<uint64_t>& rows_per_shard,
                       LoadCounters& counters) {
  std::string& carry = cursor.carry;
  bool& eof = cursor.eof;
  uint64_t& next_line = cursor.line;
  uint64_t& next_byte = cursor.byte;
  uint64_t step_read = 0;                       // input bytes this step has read (for step_bytes)
  uint64_t total_read = counters.bytes.load();  // input bytes of the load consumed (for the counters)
  const int parallelism = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, std::max(1, parallelism));
  Router router(*plan.table);
  ChunkWorker worker(plan, router);
  const size_t shards = plan.table->shards.size();
  rows_per_shard.assign(shards, 0);
  counters.file_rows.resize(inputs.size(), 0);
  counters.file_bytes.resize(inputs.size(), 0);

  // Chunks are pooled: their buffers keep their capacity, so steady state allocates nothing.
  const size_t tokens = static_cast<size_t>(std::max(2, parallelism * 2));
  std::vector<std::unique_ptr<Chunk>> pool;
  std::vector<Chunk*> free_chunks;
  std::mutex pool_mu;
  for (size_t i = 0; i < tokens + 1; ++i) {
    pool.push_back(std::make_unique<Chunk>());
    free_chunks.push_back(pool.back().get());
  }

  bool first = next_byte == 0;
  // A step may end inside a file only where a resumed run can seek back to: not in compressed input.
  auto splittable = [&](size_t file) { return compression_for(inputs.file(file).url) == Compression::None; };
  ShardBatcher batcher(
      shards, plan.batch_bytes, plan.sort_batches && plan.dist_field >= 0,
      plan.distinct_keys_known && plan.dist_field >= 0 && sort_key_is_exact(plan.types[plan.dist_field].type));
  TextEol& eol = cursor.eol;  // text format: decided by each file's first line terminator
  // Text format: the file whose `\.` ended its data; its later chunks are dropped, the next file goes on.
  std::atomic<int64_t> ended_file{-1};
  uint64_t rejected = 0;
  std::string first_reject;

  // Parquet: the row group where this step starts (cursor.byte counts the bytes of the row groups before it).
  size_t next_group = 0;
  if (plan.parquet) {
    const auto& file = *plan.parquet->file;
    for (uint64_t at = 0; next_group < file.row_groups() && at < next_byte; ++next_group)
      at += file.row_group_bytes(next_group);
    eof = next_group >= file.row_groups();
  }

  auto take_chunk = [&] {
    std::lock_guard lock(pool_mu);
    Chunk* c = free_chunks.back();
    free_chunks.pop_back();
    return c;
  };
  auto read_stage = [&](tbb::flow_control& fc) -> Chunk* {
    if (plan.parquet) {
      const auto& file = *plan.parquet->file;
      if (eof || (step_bytes > 0 && step_read >= step_bytes)) {
        fc.stop();
        return nullptr;
      }
      Chunk* c = take_chunk();
      c->row_group = next_group;
      c->first_line = next_line;
      c->byte_offset = next_byte;
      next_line += static_cast<uint64_t>(file.meta().row_groups[next_group].num_rows);
      next_byte += file.row_group_bytes(next_group);
      step_read += file.row_group_bytes(next_group);
      total_read += file.row_group_bytes(next_group);
      c->file = 0;
      c->bytes_through = total_read;
      eof = ++next_group >= file.row_groups();
      return c;
    }
    for (;;) {
      if (cursor.open &&
          ((eof && carry.empty()) || ended_file.load(std::memory_order_relaxed) == static_cast<int64_t>(cursor.file))) {
        inputs.finish(cursor.file);  // the next file starts at its line 1
        ++cursor.file;
        cursor.open = false;
        next_byte = 0;
        next_line = 1;
      }
      const bool step_full = step_bytes > 0 && step_read >= step_bytes;
      if (cursor.file >= inputs.size() || (step_full && (!cursor.open || splittable(cursor.file)))) {
        fc.stop();
        return nullptr;
      }
      if (cursor.open) break;
      std::vector<std::string> header = open_input_file(inputs, cursor, plan.dialect, plan.csv_header);
      if (plan.csv_header && header != plan.header)
        throw LoadError(kExitUsage, inputs.where(cursor.file) + "line 1: header (" + join_names(header) +
                                        ") does not match the columns of the load (" + join_names(plan.header) + ")");
      first = next_byte == 0;
      step_read += next_byte;  // its header
      total_read += next_byte;
      counters.file_bytes[cursor.file] += next_byte;
    }
    Chunk* c = take_chunk();
    ByteSource& source = inputs.source(cursor.file);
    // The reader's next block becomes the chunk, the carried start of its first record copied in front of it; else
    // (a carry too long, or chunks smaller than blocks) the chunk starts as the carry and the blocks are copied in.
    size_t begin = 0;
    const bool whole = plan.chunk_bytes >= InputReader::kBlockBytes && carry.size() <= InputReader::kBlockHeadroom &&
                       source.swap_block(c->buf, begin);
    if (whole) {
      begin -= carry.size();
      std::memcpy(c->buf.data() + begin, carry.data(), carry.size());
    } else {
      c->buf.swap(carry);
    }
    c->begin = begin;
    carry.clear();
    // Where the chunk's whole records end (all of it at EOF); CSV and text records are tokenized on the way.
    c->stream_start = first;
    const auto cut_records = [&](bool at_eof) -> size_t {
      const std::string_view data = c->data();
      if (plan.format == InputFormat::Ndjson) return at_eof ? data.size() : data.rfind('\n') + 1;  // npos + 1 == 0
      if (plan.format == InputFormat::Text && eol == TextEol::Unknown) {
        eol = detect_text_eol(data.data(), data.size(), at_eof);
        if (eol == TextEol::Unknown && !at_eof) return 0;  // no whole record before the terminator is known
      }
      c->eol = eol;
      const size_t records_end = tokenize_chunk(plan, *c, at_eof);
      return at_eof ? data.size() : records_end;
    };
    size_t cut = 0;
    for (bool read_more = !whole;; read_more = true) {
      if (read_more && !eof) eof = !fill(source, c->buf, begin + fill_target(c->data().size(), plan.chunk_bytes));
      if ((cut = cut_records(eof)) > 0 || eof) break;
      if (c->data().size() > kMaxRecordBytes)
        throw LoadError(kExitInputErrors, inputs.where(cursor.file) + "line " + std::to_string(next_line) + ", byte " +
                                              std::to_string(next_byte) +
                                              ": a record longer than 256 MiB (unterminated quote?)");
    }
    carry.assign(c->buf, begin + cut, std::string::npos);
    c->buf.resize(begin + cut);
    c->file = cursor.file;
    c->first_line = next_line;
    c->byte_offset = next_byte;
    c->at_eof = eof && carry.empty();
    first = false;
    const char line_end = eol == TextEol::Cr ? '\r' : '\n';
    // Every record ends at a line end, except an unterminated last one (at EOF).
    const bool unterminated = !c->data().empty() && c->data().back() != line_end;
    size_t records = 0;
    uint64_t newlines = 0;
    if (plan.format == InputFormat::Ndjson) {
      newlines = simd::count_byte(c->data().data(), c->data().size(), line_end);
    } else {
      // Each record's own terminator, and the line ends inside it (quoted in CSV, escaped in text).
      const auto count = [&](const auto& tokenized) {
        records = tokenized.size();
        for (const auto& r : tokenized) newlines += r.newlines + 1;
      };
      if (plan.format == InputFormat::Csv) {
        count(c->tok.records);
      } else {
        count(c->text_tok.records);
      }
      if (records > 0 && unterminated) --newlines;
    }
    c->newlines = newlines;
    next_line += newlines;
    if (plan.defaults) {
      // One row of values per record, in input order.
      c->default_rows = plan.format == InputFormat::Ndjson ? newlines + (unterminated ? 1 : 0) : records;
      c->defaults_ready = plan.defaults->request(c->default_rows, c->default_values);
    }
    next_byte += cut;
    step_read += cut;
    total_read += cut;
    counters.file_bytes[cursor.file] += cut;
    c->bytes_through = total_read;
    return c;
  };

  auto deliver_stage = [&](Chunk* c) {
    // Read before the `\.` was seen: the server would ignore it (the last stage returns the chunk to the pool).
    if (ended_file.load(std::memory_order_relaxed) == static_cast<int64_t>(c->file)) return c;
    if (plan.format == InputFormat::Text && c->text_tok.end_of_data)
      ended_file.store(static_cast<int64_t>(c->file), std::memory_order_relaxed);
    // The budget is shared with the rows the workers refuse (loader/copy_sink.cpp), counted on another thread.
    if (!c->rejects.empty()) rejected = counters.rejected.fetch_add(c->rejects.size()) + c->rejects.size();
    for (const Reject& r : c->rejects) {
      std::string where =
          inputs.where(c->file) +
          (plan.parquet ? "row group " + std::to_string(r.byte) + ", row " + std::to_string(r.line) +
                              (r.column.empty() ? "" : ", column " + r.column)
                        : "line " + std::to_string(r.line) + (r.column.empty() ? "" : ", column " + r.column) +
                              ", byte " + std::to_string(r.byte));
      if (first_reject.empty())
        first_reject =
            where + ": " + r.reason + (plan.parquet ? "" : "\n  " + std::to_string(r.line) + " | " + excerpt(r.raw));
      if (plan.reject_file) {
        flockfile(plan.reject_file);
        std::fprintf(plan.reject_file, "# %s: %s\n", where.c_str(), r.reason.c_str());
        if (!plan.parquet) {
          std::fwrite(r.raw.data(), 1, r.raw.size(), plan.reject_file);
          std::fputc('\n', plan.reject_file);
        }
        funlockfile(plan.reject_file);
      }
    }
    if (rejected > static_cast<uint64_t>(plan.max_errors)) {
      std::string msg = first_reject;
      if (rejected > 1)
        msg += "\n(" + std::to_string(rejected) + " rows rejected so far; --max-errors is " +
               std::to_string(plan.max_errors) + ")";
      msg += "\nnothing was loaded";
      throw LoadError(kExitInputErrors, msg);
    }
    for (size_t s = 0; s < shards; ++s) {
      for (bool binary : {false, true}) {
        ShardRows& out = binary ? c->bin[s] : c->csv[s];
        if (out.rows.empty()) continue;
        rows_per_shard[s] += out.rows.size();
        if (!binary && plan.binary) counters.csv_rows.fetch_add(out.rows.size(), std::memory_order_relaxed);
        if (submit) batcher.add(s, binary, out, c->full);
      }
    }
    counters.rows.fetch_add(c->rows, std::memory_order_relaxed);
    counters.file_rows[c->file] += c->rows;
    counters.bytes.store(c->bytes_through, std::memory_order_relaxed);
    return c;
  };

  // Sorting and gathering a full batch is the heaviest per-byte work after parsing: a stage of its own, so it
  // overlaps reading and delivering. In order, so each shard's batches reach the sink in input order (a duplicate
  // key is then reported at its later line).
  auto seal_stage = [&](Chunk* c) {
    for (OpenBatch& b : c->full) submit(batcher.seal(std::move(b)));
    c->full.clear();
    std::lock_guard lock(pool_mu);
    free_chunks.push_back(c);
  };

  try {
    tbb::parallel_pipeline(tokens,
                           tbb::make_filter<void, Chunk*>(tbb::filter_mode::serial_in_order, read_stage) &
                               tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::parallel,
                                                                [&](Chunk* c) {
                                                                  worker.process(*c);
                                                                  return c;
                                                                }) &
                               tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::serial_in_order, deliver_stage) &
                               tbb::make_filter<Chunk*, void>(tbb::filter_mode::serial_in_order, seal_stage));
  } catch (...) {
    if (plan.defaults) plan.defaults->wait();  // no evaluation may still write into the chunks freed below
    throw;
  }

  if (submit)
    for (OpenBatch& b : batcher.drain()) submit(batcher.seal(std::move(b)));
  if (plan.defaults) plan.defaults->finish();  // before the caller's commit decision
  if (plan.parquet) return eof;
  if (cursor.open && ended_file.load() == static_cast<int64_t>(cursor.file)) {
    // The rest of a file whose data a `\.` ended is not read: the next step starts with the next file.
    inputs.finish(cursor.file);
    ++cursor.file;
    cursor.open = false;
    cursor.byte = 0;
    cursor.line = 1;
  }
  return cursor.file >= inputs.size();
}

}  // namespace pgload

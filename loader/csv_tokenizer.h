// CSV tokenizer: splits chunks of PostgreSQL COPY ... (FORMAT csv) input into records and fields exactly the way
// the server's CopyReadLineText + CopyReadAttributesCSV do, so each record's raw bytes can be forwarded unchanged.
// A SIMD kernel (AVX2 / SSE2, chosen at run time) and a plain scalar version that is also the test/fuzz oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgload {

// COPY's DELIMITER, QUOTE and ESCAPE options (ESCAPE defaults to QUOTE).
struct CsvDialect {
  char delimiter = ',';
  char quote = '"';
  char escape = '"';
};

// nullptr when the dialect is usable, else why not (mirrors the server's option checks plus our own: no option may
// be '\n' or '\r', delimiter != quote). The tokenizer's behaviour for an invalid dialect is defined but useless.
const char* csv_dialect_error(const CsvDialect& d) noexcept;

// Chunk offsets of one field's raw bytes (quotes and escapes included). `quoted` is PostgreSQL's saw_quote: the
// field contains a quote character outside an earlier quoted section, so an empty quoted field ("") is not NULL.
struct CsvField {
  uint32_t begin;
  uint32_t end;
  bool quoted;
};

// Per-record problems, reported per record so bad rows can be rejected and the rest loaded.
enum class CsvRecordError : uint8_t {
  None,
  UnterminatedQuote,  // EOF inside a quoted field ("unterminated CSV quoted field"); error_offset = opening quote
  CarriageReturn,     // a CR outside quotes not followed by LF ("unquoted carriage return found in data")
  EndOfDataMarker,    // the record is `\.` (or starts with `\.` + CR/LF inside quotes, with QUOTE '\\' or '.'),
                      // which the server would take as end of data: quote it or reject it
};

// Line ends: LF and CRLF are both accepted, also mixed, because pgload forwards each record's bytes followed by
// '\n' (the server then never sees the original terminators). Old-Mac CR-only files are not supported: every CR
// outside quotes that is not followed by LF is a CarriageReturn error, as on a server that has seen an LF.

struct CsvRecord {
  uint32_t begin, end;                // raw record bytes, terminator ('\n' or "\r\n") excluded
  uint32_t first_field, field_count;  // into CsvChunk::fields; an empty record has one unquoted empty field
  uint32_t newlines;                  // '\n' bytes inside the record (quoted newlines) — for physical line numbers
  uint32_t error_offset;              // chunk offset of the problem when error != None
  CsvRecordError error;
};

// Output of tokenize_csv; reused across calls so nothing is allocated per row once warm.
struct CsvChunk {
  std::vector<CsvRecord> records;
  std::vector<CsvField> fields;
  // Offset just past the last byte that belongs to an emitted record (its terminator included): len when the
  // input honours the whole-records contract; less when !at_eof and the input ends inside a record, whose bytes
  // were then not emitted (the caller must carry them over).
  size_t consumed = 0;
  // Where a stream is cut so that the next chunk starts a record: past the last whole record, 0 when there is none
  // (consumed alone may count a skipped BOM).
  size_t records_end() const noexcept { return records.empty() ? 0 : consumed; }
};

// Tokenizes [data, data+len) made of whole records (the last one may lack its terminator only when at_eof).
// at_stream_start: the chunk begins the stream, so a UTF-8 BOM (EF BB BF) there is skipped.
// Offsets must fit in uint32_t (chunks < 4 GiB).
void tokenize_csv(const char* data, size_t len, const CsvDialect& d, bool at_eof, CsvChunk& out,
                  bool at_stream_start = false) noexcept;

// A quoted field's value (csv_field_value's out-of-line part).
std::string_view csv_quoted_field_value(const char* data, const CsvField& f, const CsvDialect& d,
                                        std::string& scratch) noexcept;

// Field value without quotes and escapes: returns a view into data when nothing needs unescaping, else into scratch.
// Inline: an unquoted field, the common case, costs no call.
inline std::string_view csv_field_value(const char* data, const CsvField& f, const CsvDialect& d,
                                        std::string& scratch) noexcept {
  if (!f.quoted) return {data + f.begin, f.end - f.begin};
  return csv_quoted_field_value(data, f, d, scratch);
}

// Plain scalar reference implementations: the test and fuzz oracle, and the path for ESCAPE != QUOTE.
std::string_view csv_quoted_field_value_scalar(const char* data, const CsvField& f, const CsvDialect& d,
                                               std::string& scratch) noexcept;
void tokenize_csv_scalar(const char* data, size_t len, const CsvDialect& d, bool at_eof, CsvChunk& out,
                         bool at_stream_start = false) noexcept;

// Kernel selection, exposed so tests, fuzzers and benchmarks can run every variant the CPU supports.
enum class CsvKernel : uint8_t { Scalar, Sse2, Avx2 };
CsvKernel csv_best_kernel() noexcept;             // what tokenize_csv uses
bool csv_kernel_supported(CsvKernel k) noexcept;  // Scalar and Sse2 always (x86-64 baseline)
const char* csv_kernel_name(CsvKernel k) noexcept;
// As tokenize_csv with a forced kernel (falls back to scalar when the dialect needs it, or when the kernel is
// unsupported on this CPU).
void tokenize_csv_with(CsvKernel k, const char* data, size_t len, const CsvDialect& d, bool at_eof, CsvChunk& out,
                       bool at_stream_start = false) noexcept;

}  // namespace pgload

// Text tokenizer: splits chunks of PostgreSQL COPY ... (FORMAT text) input into records and fields exactly the way
// the server's CopyReadLineText + CopyReadAttributesText do (PostgreSQL 15), and de-escapes field values. A SIMD
// kernel (AVX2 / SSE2, chosen at run time) and a plain scalar version that is also the test/fuzz oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loader/csv_tokenizer.h"  // CsvKernel: both tokenizers pick their kernels the same way

namespace pgload {

// The line terminator of the whole stream: the first unescaped CR or LF decides it, as on the server. Unknown
// only while no terminator has been seen (a stream of one unterminated line).
enum class TextEol : uint8_t { Unknown, Lf, CrLf, Cr };

// nullptr when the delimiter is usable in text format, else the server's reason (backslash, CR, LF, and the
// letters, digits and '.' that backslash sequences give meaning to).
const char* text_delimiter_error(char delimiter) noexcept;

// The stream's terminator from its first bytes (which start a record). Unknown when [data, data+len) holds no
// unescaped CR/LF, or ends in a CR while !at_eof (the next byte decides between CR and CRLF).
TextEol detect_text_eol(const char* data, size_t len, bool at_eof) noexcept;

// Chunk offsets of one field's raw bytes (escapes included); the NULL marker is compared against these.
struct TextField {
  uint32_t begin;
  uint32_t end;
};

// Per-record problems (the server fails the whole COPY on each; pgload rejects the record).
enum class TextRecordError : uint8_t {
  None,
  CarriageReturn,    // "literal carriage return found in data": an unescaped CR that is not the terminator
  Newline,           // "literal newline found in data": an unescaped LF that is not the terminator
  MarkerCorrupt,     // "end-of-copy marker corrupt": `\.` not followed by CR or LF
  MarkerEolMismatch  // "end-of-copy marker does not match previous newline style"
};

struct TextRecord {
  uint32_t begin, end;                // raw record bytes, terminator excluded
  uint32_t first_field, field_count;  // into TextChunk::fields; an empty record has one empty field
  uint32_t newlines;                  // escaped line terminators inside the record — for physical line numbers
  uint32_t error_offset;              // chunk offset of the problem when error != None
  TextRecordError error;
};

// Output of tokenize_text; reused across calls so nothing is allocated per row once warm.
struct TextChunk {
  std::vector<TextRecord> records;
  std::vector<TextField> fields;
  // Offset just past the last byte that belongs to an emitted record (its terminator included), or past the
  // end-of-data marker and its terminator. Less than len when !at_eof and the input ends inside a record.
  size_t consumed = 0;
  // A valid `\.` ended the data: the server ignores everything after it. The text of its line before the `\.`
  // (if any) is the last record.
  bool end_of_data = false;
  // Where a stream is cut so that the next chunk starts a record: past the last whole record, 0 when there is none.
  size_t records_end() const noexcept { return records.empty() ? 0 : consumed; }
};

// Tokenizes [data, data+len) made of whole records (the last one may lack its terminator only when at_eof).
// eol must be the stream's terminator (Unknown is taken as Lf). Offsets must fit in uint32_t (chunks < 4 GiB).
void tokenize_text(const char* data, size_t len, char delimiter, TextEol eol, bool at_eof, TextChunk& out) noexcept;

// De-escapes a field (which is not the NULL marker) into scratch and returns a view of it. `needs_check` becomes
// true when an escape produced a NUL or a high-bit byte: the value must then be checked against the encoding
// (the server's pg_verifymbstr). Returns a view into data when the field holds no backslash.
std::string_view text_field_value(const char* data, const TextField& f, std::string& scratch,
                                  bool& needs_check) noexcept;

// The value written back in canonical COPY text form (default TAB delimiter, \N for NULL): backslash, TAB, LF and
// CR escaped. Appends to out.
void append_text_escaped(std::string& out, std::string_view value) noexcept;

// Plain scalar reference implementations: the test and fuzz oracle.
void tokenize_text_scalar(const char* data, size_t len, char delimiter, TextEol eol, bool at_eof,
                          TextChunk& out) noexcept;

// As tokenize_text with a forced kernel (scalar when unsupported on this CPU).
void tokenize_text_with(CsvKernel k, const char* data, size_t len, char delimiter, TextEol eol, bool at_eof,
                        TextChunk& out) noexcept;

}  // namespace pgload

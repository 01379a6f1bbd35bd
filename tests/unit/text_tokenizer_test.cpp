// Text tokenizer: PostgreSQL COPY text edge cases (golden rows checked against a PostgreSQL 15 server), every SIMD
// kernel against the scalar oracle on random input, and records straddling every chunk boundary.
#include "loader/text_tokenizer.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace pgload {
namespace {

using namespace std::string_literals;

using Value = std::optional<std::string>;  // nullopt = the NULL marker
const Value kNull = std::nullopt;

struct Rec {
  size_t begin, end;
  uint32_t newlines;
  size_t error_offset;
  TextRecordError error;
  std::vector<Value> fields;
  bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  os << "{[" << r.begin << "," << r.end << ") nl=" << r.newlines << " err=" << int(r.error) << "@" << r.error_offset
     << " fields:";
  for (const auto& f : r.fields) os << " " << (f ? testing::PrintToString(*f) : "NULL");
  return os << "}";
}

// Resolves a chunk (values de-escaped, `null` matched on raw bytes); offsets are shifted by `base` so records of
// different chunks compare in stream coordinates.
std::vector<Rec> resolve(const char* data, const TextChunk& chunk, size_t base = 0, std::string_view null = "\\N") {
  std::vector<Rec> out;
  std::string scratch;
  for (const auto& r : chunk.records) {
    Rec rec{r.begin + base, r.end + base,
            r.newlines,     r.error == TextRecordError::None ? 0 : r.error_offset + base,
            r.error,        {}};
    for (uint32_t i = 0; i < r.field_count; ++i) {
      const TextField& f = chunk.fields[r.first_field + i];
      if (std::string_view(data + f.begin, f.end - f.begin) == null) {
        rec.fields.push_back(kNull);
        continue;
      }
      bool needs_check = false;
      rec.fields.emplace_back(std::string(text_field_value(data, f, scratch, needs_check)));
    }
    out.push_back(std::move(rec));
  }
  return out;
}

std::vector<CsvKernel> all_kernels() {
  std::vector<CsvKernel> ks;
  for (CsvKernel k : {CsvKernel::Scalar, CsvKernel::Sse2, CsvKernel::Avx2})
    if (csv_kernel_supported(k)) ks.push_back(k);
  return ks;
}

struct Parsed {
  std::vector<Rec> records;
  bool end_of_data;
  size_t consumed;
  bool operator==(const Parsed&) const = default;
};

Parsed parse(CsvKernel k, std::string_view in, char delim, TextEol eol, bool at_eof = true) {
  TextChunk chunk;
  tokenize_text_with(k, in.data(), in.size(), delim, eol, at_eof, chunk);
  return {resolve(in.data(), chunk), chunk.end_of_data, chunk.consumed};
}

// Parses with every kernel at the stream's own line terminator, checks they agree, returns the scalar result.
Parsed parse_all(std::string_view in, char delim = '\t') {
  const TextEol eol = detect_text_eol(in.data(), in.size(), true);
  const Parsed expected = parse(CsvKernel::Scalar, in, delim, eol);
  for (CsvKernel k : all_kernels()) {
    EXPECT_EQ(parse(k, in, delim, eol).records, expected.records) << csv_kernel_name(k);
    EXPECT_EQ(parse(k, in, delim, eol).end_of_data, expected.end_of_data) << csv_kernel_name(k);
    EXPECT_EQ(parse(k, in, delim, eol, false).consumed, parse(CsvKernel::Scalar, in, delim, eol, false).consumed)
        << csv_kernel_name(k);
  }
  return expected;
}

using Row = std::vector<Value>;
std::vector<Row> rows_of(const Parsed& p) {
  std::vector<Row> rows;
  for (const auto& r : p.records) {
    EXPECT_EQ(r.error, TextRecordError::None) << r;
    rows.push_back(r.fields);
  }
  return rows;
}

// Golden vectors: each input was loaded with COPY t FROM STDIN (FORMAT text, DELIMITER) into a table of text
// columns on PostgreSQL 15; `rows` is what the server stored (nullopt = NULL).
struct GoldenCase {
  const char* name;
  std::string input;
  char delimiter;
  std::vector<Row> rows;
};

std::vector<GoldenCase> golden_cases() {
  return {
      {"plain", "a\tb\n1\t2\n", '\t', {{"a", "b"}, {"1", "2"}}},
      {"escapes", "\\b\\f\\n\\r\\t\\v\\\\\tz\n", '\t', {{"\b\f\n\r\t\v\\", "z"}}},
      {"octal_and_hex", "A\\x41\\101\\1010\tB\\xg\\q\\|\n", '\t', {{"AAAA0", "Bxgq|"}}},
      {"octal_utf8", "a\t\\303\\251\n", '\t', {{"a", "\xC3\xA9"}}},
      {"null_marker_raw", "x\t\\N\n\\\\N\t\n", '\t', {{"x", kNull}, {"\\N", ""}}},
      {"escaped_delimiter", "a|b\\|c\n", '|', {{"a", "b|c"}}},
      {"backslash_newline_is_data", "x\\\ny\tw\n", '\t', {{"x\ny", "w"}}},
      {"lone_backslash_at_eof_dropped", "x\ty\\", '\t', {{"x", "y"}}},
      {"crlf", "a\tb\r\nc\td\r\n", '\t', {{"a", "b"}, {"c", "d"}}},
      {"cr", "a\tb\rc\td\r", '\t', {{"a", "b"}, {"c", "d"}}},
      {"empty_line_is_one_empty_field", "a\n\nb\n", '\t', {{"a"}, {""}, {"b"}}},
      {"final_line_without_newline", "a\tb\nc\td", '\t', {{"a", "b"}, {"c", "d"}}},
      {"marker_alone_ends_data", "x\ty\n\\.\nz\tw\n", '\t', {{"x", "y"}}},
      {"marker_after_text_ends_data", "ab\\.\nz\tw\n", '\t', {{"ab"}}},
      {"escaped_backslash_then_dot_is_data", "\\\\.\t1\n", '\t', {{"\\.", "1"}}},
      {"tpch_lineitem",
       "1|155190|7706|1|17|21168.23|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|"
       "egular courts above the|\n",
       '|',
       {{"1", "155190", "7706", "1", "17", "21168.23", "0.04", "0.02", "N", "O", "1996-03-13", "1996-02-12",
         "1996-03-22", "DELIVER IN PERSON", "TRUCK", "egular courts above the", ""}}},
  };
}

TEST(TextTokenizer, GoldenRowsMatchPostgres) {
  for (const auto& g : golden_cases()) EXPECT_EQ(rows_of(parse_all(g.input, g.delimiter)), g.rows) << g.name;
}

TEST(TextTokenizer, LineTerminatorIsDecidedByTheFirstLine) {
  EXPECT_EQ(detect_text_eol("a\nb\r\n", 5, true), TextEol::Lf);
  EXPECT_EQ(detect_text_eol("a\r\nb\n", 5, true), TextEol::CrLf);
  EXPECT_EQ(detect_text_eol("a\rb\n", 4, true), TextEol::Cr);
  EXPECT_EQ(detect_text_eol("a\\\nb\r", 5, true), TextEol::Cr);    // an escaped LF is data
  EXPECT_EQ(detect_text_eol("ab\r", 3, false), TextEol::Unknown);  // CR or CRLF: the next byte decides
  EXPECT_EQ(detect_text_eol("ab\r", 3, true), TextEol::Cr);
  EXPECT_EQ(detect_text_eol("ab", 2, true), TextEol::Unknown);
}

TEST(TextTokenizer, MixedLineEndsAreTheServersErrors) {
  auto crlf_then_lf = parse_all("x\ty\r\nq\tw\n");  // "literal newline found in data", line 2
  ASSERT_EQ(crlf_then_lf.records.size(), 2u);
  EXPECT_EQ(crlf_then_lf.records[1].error, TextRecordError::Newline);
  EXPECT_EQ(crlf_then_lf.records[1].error_offset, 8u);
  auto lf_then_cr = parse_all("x\ty\nq\tw\r\n");  // "literal carriage return found in data", line 2
  ASSERT_EQ(lf_then_cr.records.size(), 2u);
  EXPECT_EQ(lf_then_cr.records[1].error, TextRecordError::CarriageReturn);
  auto cr_then_lf = parse_all("x\ty\rq\tw\n");  // "literal newline found in data"
  ASSERT_EQ(cr_then_lf.records.size(), 2u);     // in a CR stream the LF is no terminator
  EXPECT_EQ(cr_then_lf.records[1].error, TextRecordError::Newline);
  EXPECT_EQ(cr_then_lf.records[1].end, 8u);    // the LF is data of the unterminated last line
  auto escaped_cr = parse_all("a\\\rb\tc\n");  // an escaped CR is data
  ASSERT_EQ(escaped_cr.records.size(), 1u);
  EXPECT_EQ(escaped_cr.records[0].fields, (Row{"a\rb", "c"}));
}

TEST(TextTokenizer, BadEndOfCopyMarkers) {
  auto at_eof = parse_all("x\ty\n\\.");  // "end-of-copy marker corrupt", line 2
  ASSERT_EQ(at_eof.records.size(), 2u);
  EXPECT_FALSE(at_eof.end_of_data);
  EXPECT_EQ(at_eof.records[1].error, TextRecordError::MarkerCorrupt);
  EXPECT_EQ(at_eof.records[1].error_offset, 4u);
  auto trailing = parse_all("x\ty\n\\.x\nz\tw\n");
  ASSERT_EQ(trailing.records.size(), 3u);
  EXPECT_EQ(trailing.records[1].error, TextRecordError::MarkerCorrupt);
  EXPECT_EQ(trailing.records[2].fields, (Row{"z", "w"}));
  EXPECT_EQ(parse_all("x\ty\r\n\\.\n").records.back().error, TextRecordError::MarkerEolMismatch);
  EXPECT_EQ(parse_all("x\ty\n\\.\r\n").records.back().error, TextRecordError::MarkerEolMismatch);
  EXPECT_EQ(parse_all("x\ty\r\\.\n").records.back().error, TextRecordError::MarkerEolMismatch);
  auto ok_crlf = parse_all("x\ty\r\n\\.\r\nmore");
  EXPECT_TRUE(ok_crlf.end_of_data);
  EXPECT_EQ(ok_crlf.consumed, 9u);
  EXPECT_EQ(rows_of(ok_crlf), (std::vector<Row>{{"x", "y"}}));
}

TEST(TextTokenizer, MarkerOnlyAfterEvenBackslashes) {
  EXPECT_TRUE(parse_all("a\\\\\\.\n").end_of_data);  // \\ then \.
  EXPECT_FALSE(parse_all("a\\\\.\n").end_of_data);   // \\ then .
  EXPECT_EQ(rows_of(parse_all("a\\\\\\.\n")), (std::vector<Row>{{"a\\"}}));
}

TEST(TextTokenizer, PartialTailIsLeftToCallerWhenNotAtEof) {
  for (CsvKernel k : all_kernels()) {
    Parsed p = parse(k, "a\tb\nc\\\nd", '\t', TextEol::Lf, false);
    EXPECT_EQ(p.records.size(), 1u) << csv_kernel_name(k);
    EXPECT_EQ(p.consumed, 4u) << csv_kernel_name(k);
  }
}

TEST(TextTokenizer, FieldValueIsAViewUnlessUnescapingNeeded) {
  const std::string in = "abc\ta\\tb\t\\xe9\t\\0";
  TextChunk chunk;
  tokenize_text(in.data(), in.size(), '\t', TextEol::Lf, true, chunk);
  ASSERT_EQ(chunk.fields.size(), 4u);
  std::string scratch;
  bool check = true;
  EXPECT_EQ(text_field_value(in.data(), chunk.fields[0], scratch, check).data(), in.data());
  EXPECT_FALSE(check);
  EXPECT_EQ(text_field_value(in.data(), chunk.fields[1], scratch, check), "a\tb");
  EXPECT_FALSE(check);
  EXPECT_EQ(text_field_value(in.data(), chunk.fields[2], scratch, check), "\xE9");
  EXPECT_TRUE(check);  // a high-bit byte from an escape: the encoding must be checked
  EXPECT_EQ(text_field_value(in.data(), chunk.fields[3], scratch, check), "\0"s);
  EXPECT_TRUE(check);
}

TEST(TextTokenizer, EscapedFormRoundTrips) {
  const std::string value = "a\tb\\c\nd\re|f";
  std::string line;
  append_text_escaped(line, value);
  EXPECT_EQ(line, "a\\tb\\\\c\\nd\\re|f");
  Parsed p = parse_all(line);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].fields, (Row{value}));
}

TEST(TextTokenizer, DelimiterValidationFollowsTheServer) {
  EXPECT_EQ(text_delimiter_error('\t'), nullptr);
  EXPECT_EQ(text_delimiter_error('|'), nullptr);
  EXPECT_EQ(text_delimiter_error(','), nullptr);
  EXPECT_EQ(text_delimiter_error('"'), nullptr);
  for (char c : {'\\', '\n', '\r', '.', 'a', 'z', '0', '9', '\0'}) EXPECT_NE(text_delimiter_error(c), nullptr) << c;
}

TEST(TextTokenizer, NoAllocationOnceWarm) {
  std::string in;
  for (int i = 0; i < 1000; ++i) in += std::to_string(i) + "\tx\\ty\t\\N\n";
  TextChunk chunk;
  tokenize_text(in.data(), in.size(), '\t', TextEol::Lf, true, chunk);
  const auto* records = chunk.records.data();
  const auto* fields = chunk.fields.data();
  tokenize_text(in.data(), in.size(), '\t', TextEol::Lf, true, chunk);
  EXPECT_EQ(chunk.records.data(), records);
  EXPECT_EQ(chunk.fields.data(), fields);
  EXPECT_EQ(chunk.records.size(), 1000u);
}

// Random text over the structural alphabet, long runs of backslashes included.
std::string random_text(std::mt19937& rng, size_t len, char delim) {
  const std::string alphabet = std::string("\\\\\\\n\r.xN0\xE9 ") + delim + delim;
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string s;
  while (s.size() < len) s.push_back(alphabet[pick(rng)]);
  return s;
}

TEST(TextTokenizer, SimdMatchesScalarOnRandomInput) {
  std::mt19937 rng(20261201);
  for (char delim : {'\t', '|', ','}) {
    for (int iter = 0; iter < 600; ++iter) {
      const size_t len = iter < 200 ? iter : std::uniform_int_distribution<size_t>(0, 700)(rng);
      const std::string in = random_text(rng, len, delim);
      for (TextEol eol : {TextEol::Lf, TextEol::CrLf, TextEol::Cr, TextEol::Unknown}) {
        for (bool eof : {true, false}) {
          const Parsed expected = parse(CsvKernel::Scalar, in, delim, eol, eof);
          for (CsvKernel k : all_kernels()) {
            ASSERT_EQ(parse(k, in, delim, eol, eof), expected)
                << csv_kernel_name(k) << " eol " << int(eol) << " input: " << testing::PrintToString(in);
          }
        }
      }
    }
  }
}

// A file with records that must not be cut inside: escaped newlines and delimiters, backslash runs, errors, and a
// marker near the end.
std::string tricky_file(const std::string& nl) {
  return "id\tname\tnote" + nl + "1\tmulti\\" + nl + "line\t\\N" + nl + "2\t\\\\\t\\\\\\\\" + nl + nl +
         "3\tx\\ty\\\\\\tz\t\\101\\x41" + nl + "4\t" + std::string(70, '\\') + "\tq" + nl + "5\tlone\rcr" + nl +
         "6\t\\.x" + nl + "7\tlast" + nl + "\\." + nl + "ignored\tafter" + nl;
}

// The pipeline's read stage: tokenize what has been read, keep its whole records, carry the rest over.
Parsed parse_in_chunks(CsvKernel k, const std::string& in, TextEol eol, const std::vector<size_t>& cuts) {
  Parsed all{{}, false, 0};
  TextChunk chunk;
  size_t carry_begin = 0;  // stream offset of the carried-over tail
  auto emit = [&](size_t begin, size_t end, bool at_eof) {
    tokenize_text_with(k, in.data() + begin, end - begin, '\t', eol, at_eof, chunk);
    if (chunk.records.empty() && !chunk.end_of_data && !at_eof) return size_t{0};  // keep reading
    auto recs = resolve(in.data() + begin, chunk, begin);
    all.records.insert(all.records.end(), recs.begin(), recs.end());
    all.end_of_data = chunk.end_of_data;
    all.consumed = begin + chunk.consumed;
    return chunk.consumed;
  };
  for (size_t cut : cuts) {
    carry_begin += emit(carry_begin, cut, false);
    if (all.end_of_data) return all;
  }
  emit(carry_begin, in.size(), true);
  return all;
}

TEST(TextTokenizer, EverySplitOffsetGivesTheUnsplitParse) {
  for (const std::string nl : {"\n", "\r\n", "\r"}) {
    const std::string in = tricky_file(nl);
    const TextEol eol = detect_text_eol(in.data(), in.size(), true);
    const Parsed expected = parse(CsvKernel::Scalar, in, '\t', eol);
    ASSERT_TRUE(expected.end_of_data);
    ASSERT_GE(expected.records.size(), 9u);
    for (CsvKernel k : all_kernels())
      for (size_t split = 0; split <= in.size(); ++split)
        ASSERT_EQ(parse_in_chunks(k, in, eol, {split}), expected)
            << csv_kernel_name(k) << " split at " << split << " nl " << testing::PrintToString(nl);
  }
}

TEST(TextTokenizer, TinyBuffersGiveTheUnsplitParse) {
  const std::string in = tricky_file("\n") + tricky_file("\n");
  const Parsed expected = parse(CsvKernel::Scalar, in, '\t', TextEol::Lf);
  for (CsvKernel k : all_kernels()) {
    for (size_t step = 1; step <= 70; ++step) {
      std::vector<size_t> cuts;
      for (size_t c = step; c < in.size(); c += step) cuts.push_back(c);
      ASSERT_EQ(parse_in_chunks(k, in, TextEol::Lf, cuts), expected) << csv_kernel_name(k) << " step " << step;
    }
  }
}

TEST(TextTokenizer, TrickyFileRecords) {
  const Parsed p = parse_all(tricky_file("\n"));
  ASSERT_EQ(p.records.size(), 9u);  // the header line is a record here; `\.` ends the data before "ignored"
  EXPECT_EQ(p.records[1].fields, (Row{"1", "multi\nline", kNull}));
  EXPECT_EQ(p.records[1].newlines, 1u);
  EXPECT_EQ(p.records[2].fields, (Row{"2", "\\", "\\\\"}));
  EXPECT_EQ(p.records[3].fields, (Row{""}));
  EXPECT_EQ(p.records[4].fields, (Row{"3", "x\ty\\\tz", "AA"}));
  EXPECT_EQ(p.records[5].fields, (Row{"4", std::string(35, '\\'), "q"}));
  EXPECT_EQ(p.records[6].error, TextRecordError::CarriageReturn);
  EXPECT_EQ(p.records[7].error, TextRecordError::MarkerCorrupt);
  EXPECT_EQ(p.records[8].fields, (Row{"7", "last"}));
  EXPECT_TRUE(p.end_of_data);
}

}  // namespace
}  // namespace pgload

// CSV tokenizer: PostgreSQL COPY CSV edge cases (golden rows checked against a PostgreSQL 15 server), every SIMD
// kernel against the scalar oracle on random input, and records straddling every chunk boundary (DuckDB-style).
#include "loader/csv_tokenizer.h"
#include "loader/simd_bytes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace pgload {
namespace {

using namespace std::string_literals;

// A tokenized record with its field values resolved, so results of different kernels / splits compare by value.
struct Field {
  std::string value;
  bool quoted;
  bool operator==(const Field&) const = default;
};
struct Rec {
  size_t begin, end;
  uint32_t newlines;
  size_t error_offset;
  CsvRecordError error;
  std::vector<Field> fields;
  bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  os << "{[" << r.begin << "," << r.end << ") nl=" << r.newlines << " err=" << int(r.error) << "@" << r.error_offset
     << " fields:";
  for (const auto& f : r.fields) os << (f.quoted ? " q'" : " '") << f.value << "'";
  return os << "}";
}

// Resolves a chunk; offsets are shifted by `base` so records of different chunks compare in stream coordinates.
std::vector<Rec> resolve(const char* data, const CsvChunk& chunk, const CsvDialect& d, size_t base = 0) {
  std::vector<Rec> out;
  std::string scratch;
  for (const auto& r : chunk.records) {
    Rec rec{r.begin + base, r.end + base,
            r.newlines,     r.error == CsvRecordError::None ? 0 : r.error_offset + base,
            r.error,        {}};
    for (uint32_t i = 0; i < r.field_count; ++i) {
      const CsvField& f = chunk.fields[r.first_field + i];
      rec.fields.push_back(Field{std::string(csv_field_value(data, f, d, scratch)), f.quoted});
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

std::vector<Rec> parse(CsvKernel k, std::string_view in, const CsvDialect& d = {}, bool at_eof = true,
                       bool at_stream_start = false) {
  CsvChunk chunk;
  tokenize_csv_with(k, in.data(), in.size(), d, at_eof, chunk, at_stream_start);
  return resolve(in.data(), chunk, d);
}

// Where the read stage cuts `in`: past its last whole record (its terminator included), 0 when it has none.
size_t whole_records_end(CsvKernel k, std::string_view in, const CsvDialect& d = {}) {
  CsvChunk chunk;
  tokenize_csv_with(k, in.data(), in.size(), d, false, chunk);
  return chunk.records_end();
}

// Parses with every kernel, checks they agree, returns the scalar result.
std::vector<Rec> parse_all(std::string_view in, const CsvDialect& d = {}, bool at_eof = true,
                           bool at_stream_start = false) {
  const auto expected = parse(CsvKernel::Scalar, in, d, at_eof, at_stream_start);
  for (CsvKernel k : all_kernels()) {
    EXPECT_EQ(parse(k, in, d, at_eof, at_stream_start), expected) << csv_kernel_name(k);
    EXPECT_EQ(whole_records_end(k, in, d), whole_records_end(CsvKernel::Scalar, in, d)) << csv_kernel_name(k);
  }
  return expected;
}

// Values of a parse as the server sees them: nullopt for NULL (an unquoted empty field, COPY CSV's default NULL).
using Row = std::vector<std::optional<std::string>>;
std::vector<Row> rows_of(const std::vector<Rec>& recs) {
  std::vector<Row> rows;
  for (const auto& r : recs) {
    Row row;
    for (const auto& f : r.fields)
      row.push_back(!f.quoted && f.value.empty() ? std::nullopt : std::optional<std::string>(f.value));
    rows.push_back(row);
  }
  return rows;
}

// Golden vectors: each input was loaded with COPY t FROM '<file>' WITH (FORMAT csv, DELIMITER, QUOTE, ESCAPE) into
// a table of text columns on PostgreSQL 15.18, and also record by record (record bytes + '\n', the way pgload
// forwards them); `rows` is what the server stored (nullopt = NULL).
struct GoldenCase {
  const char* name;
  std::string input;
  CsvDialect dialect;
  std::vector<Row> rows;
};
const std::optional<std::string> kNull = std::nullopt;

std::vector<GoldenCase> golden_cases() {
  const CsvDialect std_d{};
  const CsvDialect backslash{',', '"', '\\'};
  return {
      {"plain", "a,b,c\n1,2,3\n", std_d, {{"a", "b", "c"}, {"1", "2", "3"}}},
      {"doubled_quotes", "\"a\"\"b\",\"\"\"\"\n", std_d, {{"a\"b", "\""}}},
      {"embedded_delimiter_newline_crlf",
       "\"x,y\",\"l1\nl2\",\"c\r\nd\"\nz,z,z\n",
       std_d,
       {{"x,y", "l1\nl2", "c\r\nd"}, {"z", "z", "z"}}},
      {"crlf_terminators", "a,b\r\nc,d\r\n", std_d, {{"a", "b"}, {"c", "d"}}},
      {"empty_line_is_null_record", "a\n\nb\n", std_d, {{"a"}, {kNull}, {"b"}}},
      {"final_record_without_newline", "a,b\nc,d", std_d, {{"a", "b"}, {"c", "d"}}},
      {"quote_mid_field", "ab\"c,d\"e,f\n", std_d, {{"abc,de", "f"}}},
      {"several_quoted_sections", "\"a\"b\"c\",x\n", std_d, {{"abc", "x"}}},
      {"quoted_empty_is_not_null", ",\"\",\n", std_d, {{kNull, "", kNull}}},
      {"spaces_kept", " a , \"b\" \n", std_d, {{" a ", " b "}}},
      {"semicolon_single_quote", "'a;b';'it''s'\n", CsvDialect{';', '\'', '\''}, {{"a;b", "it's"}}},
      {"tab_delimiter", "a\tb\t\"c\td\"\n", CsvDialect{'\t', '"', '"'}, {{"a", "b", "c\td"}}},
      {"backslash_escape", "\"a\\\"b\",\"c\\\\d\",\"e\\f\"\n", backslash, {{"a\"b", "c\\d", "e\\f"}}},
      {"backslash_escape_before_closing_quote", "\"x\\\\\",y\n", backslash, {{"x\\", "y"}}},
      {"backslash_escape_doubled_quote_reopens", "\"q\"\"r\"\n", backslash, {{"qr"}}},
      {"backslash_escape_newline_in_quotes", "\"a\\\nb\",c\n", backslash, {{"a\\\nb", "c"}}},
      {"backslash_outside_quotes_is_data", "a\\,b\n", backslash, {{"a\\", "b"}}},
      {"escape_equals_delimiter", "\"a,\"b\",c\n", CsvDialect{',', '"', ','}, {{"a\"b", "c"}}},
      {"backslash_dot_with_more_data", "\\.x,1\n\"\\.\",2\n", std_d, {{"\\.x", "1"}, {"\\.", "2"}}},
      {"cr_in_quotes", "\"a\rb\",c\n", std_d, {{"a\rb", "c"}}},
  };
}

TEST(CsvTokenizer, GoldenRowsMatchPostgres) {
  for (const auto& c : golden_cases()) {
    SCOPED_TRACE(c.name);
    const auto recs = parse_all(c.input, c.dialect);
    EXPECT_EQ(rows_of(recs), c.rows);
    for (const auto& r : recs) EXPECT_EQ(r.error, CsvRecordError::None);
  }
}

TEST(CsvTokenizer, RecordOffsetsExcludeTerminators) {
  const auto recs = parse_all("a,b\r\n\"c\nd\"\n\r\nlast");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].begin, 0u);
  EXPECT_EQ(recs[0].end, 3u);  // "\r\n" excluded
  EXPECT_EQ(recs[1].begin, 5u);
  EXPECT_EQ(recs[1].end, 10u);
  EXPECT_EQ(recs[1].newlines, 1u);
  EXPECT_EQ(recs[2].begin, 11u);  // CRLF-only line: an empty record
  EXPECT_EQ(recs[2].end, 11u);
  ASSERT_EQ(recs[2].fields.size(), 1u);
  EXPECT_EQ(recs[2].fields[0], (Field{"", false}));
  EXPECT_EQ(recs[3].begin, 13u);
  EXPECT_EQ(recs[3].end, 17u);
}

TEST(CsvTokenizer, FieldOffsetsIncludeQuotes) {
  const std::string in = "1,\"a\"\"b\",\n";
  CsvChunk chunk;
  tokenize_csv(in.data(), in.size(), CsvDialect{}, true, chunk);
  ASSERT_EQ(chunk.records.size(), 1u);
  ASSERT_EQ(chunk.fields.size(), 3u);
  EXPECT_EQ(chunk.fields[1].begin, 2u);
  EXPECT_EQ(chunk.fields[1].end, 8u);
  EXPECT_TRUE(chunk.fields[1].quoted);
  EXPECT_EQ(chunk.fields[2].begin, 9u);
  EXPECT_EQ(chunk.fields[2].end, 9u);
  EXPECT_FALSE(chunk.fields[2].quoted);
}

TEST(CsvTokenizer, BomSkippedOnlyAtStreamStart) {
  const std::string in = "\xEF\xBB\xBFid,name\n1,x\n";
  auto recs = parse_all(in, {}, true, /*at_stream_start=*/true);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].begin, 3u);
  EXPECT_EQ(recs[0].fields[0].value, "id");
  recs = parse_all(in, {}, true, /*at_stream_start=*/false);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].begin, 0u);
  EXPECT_EQ(recs[0].fields[0].value, "\xEF\xBB\xBFid");
  EXPECT_TRUE(parse_all("\xEF\xBB\xBF", {}, true, true).empty());
}

TEST(CsvTokenizer, TrailingNewlineMakesNoExtraRecordButBlankLinesDo) {
  EXPECT_EQ(parse_all("a\n").size(), 1u);
  EXPECT_EQ(parse_all("a\n\n").size(), 2u);
  EXPECT_TRUE(parse_all("").empty());
  EXPECT_EQ(rows_of(parse_all("\n")), (std::vector<Row>{{kNull}}));
}

TEST(CsvTokenizer, PartialTailIsLeftToCallerWhenNotAtEof) {
  const std::string in = "a,b\nc,\"d\ne";
  for (CsvKernel k : all_kernels()) {
    CsvChunk chunk;
    tokenize_csv_with(k, in.data(), in.size(), CsvDialect{}, false, chunk);
    ASSERT_EQ(chunk.records.size(), 1u) << csv_kernel_name(k);
    EXPECT_EQ(chunk.fields.size(), 2u);
    EXPECT_EQ(chunk.consumed, 4u);
    tokenize_csv_with(k, in.data(), in.size(), CsvDialect{}, true, chunk);
    EXPECT_EQ(chunk.records.size(), 2u);
    EXPECT_EQ(chunk.consumed, in.size());
  }
}

TEST(CsvTokenizer, UnterminatedQuoteAtEofIsPerRecord) {
  const std::string in = "a,b\nc,\"d\ne,f\n";
  const auto recs = parse_all(in);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].error, CsvRecordError::None);
  EXPECT_EQ(recs[1].error, CsvRecordError::UnterminatedQuote);
  EXPECT_EQ(recs[1].error_offset, 6u);  // the opening quote
  EXPECT_EQ(recs[1].begin, 4u);
  EXPECT_EQ(recs[1].end, in.size());
  EXPECT_EQ(recs[1].newlines, 2u);
  // The opening quote of the last section, after a closed one.
  const auto r2 = parse_all("\"x\"y\"z");
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].error, CsvRecordError::UnterminatedQuote);
  EXPECT_EQ(r2[0].error_offset, 4u);
  // With ESCAPE '\\' an escaped quote does not close the field.
  const auto r3 = parse_all("\"a\\\"\n", CsvDialect{',', '"', '\\'});
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_EQ(r3[0].error, CsvRecordError::UnterminatedQuote);
  EXPECT_EQ(r3[0].error_offset, 0u);
}

TEST(CsvTokenizer, LoneCarriageReturnIsPerRecordError) {
  const auto recs = parse_all("a\rb,c\nok\nx\r");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].error, CsvRecordError::CarriageReturn);
  EXPECT_EQ(recs[0].error_offset, 1u);
  EXPECT_EQ(recs[0].end, 5u);  // the record runs to the next LF, like the server's line reader
  EXPECT_EQ(recs[0].fields.size(), 2u);
  EXPECT_EQ(recs[1].error, CsvRecordError::None);
  EXPECT_EQ(recs[2].error, CsvRecordError::CarriageReturn);  // CR at EOF
  EXPECT_EQ(recs[2].error_offset, 10u);
  // CR CR LF: the first CR is lone.
  const auto r2 = parse_all("a\r\r\n");
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].error, CsvRecordError::CarriageReturn);
  EXPECT_EQ(r2[0].error_offset, 1u);
  EXPECT_EQ(r2[0].end, 2u);
  // Inside quotes a CR is data.
  EXPECT_EQ(parse_all("\"a\rb\"\n")[0].error, CsvRecordError::None);
}

TEST(CsvTokenizer, EndOfDataMarkerRecordIsReported) {
  const auto recs = parse_all("a\n\\.\nb\n\\.\r\n\\.x\n\"\\.\"\n\\.");
  ASSERT_EQ(recs.size(), 7u);
  EXPECT_EQ(recs[1].error, CsvRecordError::EndOfDataMarker);
  EXPECT_EQ(recs[1].error_offset, 2u);
  EXPECT_EQ(recs[3].error, CsvRecordError::EndOfDataMarker);  // CRLF-terminated
  EXPECT_EQ(recs[4].error, CsvRecordError::None);             // \.x is data
  EXPECT_EQ(recs[5].error, CsvRecordError::None);             // quoted
  EXPECT_EQ(recs[6].error, CsvRecordError::EndOfDataMarker);  // at EOF without newline
  EXPECT_EQ(recs[1].fields[0].value, "\\.");
}

// With QUOTE '\\' a record `\.<LF>b\` is one quoted record to us, but PostgreSQL 15 stops the COPY at its first line.
TEST(CsvTokenizer, EndOfDataMarkerInsideQuotesIsReported) {
  const auto recs = parse_all("a\n\\.\nb\\\nc\n", CsvDialect{',', '\\', '\\'});
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].end, 7u);
  EXPECT_EQ(recs[1].error, CsvRecordError::EndOfDataMarker);
  EXPECT_EQ(recs[2].error, CsvRecordError::None);
}

TEST(CsvTokenizer, WholeRecordsEndBeforeAQuotedNewline) {
  const std::string in = "a,\"b\nc\"\nd,\"e\nf";
  for (CsvKernel k : all_kernels()) {
    EXPECT_EQ(whole_records_end(k, in), 8u) << csv_kernel_name(k);
    EXPECT_EQ(whole_records_end(k, std::string_view(in).substr(0, 7)), 0u) << csv_kernel_name(k);
  }
  const std::string esc = "\"a\\\"\nb\"\nc\n\"\\\\\"\nd";
  EXPECT_EQ(whole_records_end(CsvKernel::Scalar, esc, CsvDialect{',', '"', '\\'}), 15u);
  EXPECT_EQ(whole_records_end(csv_best_kernel(), esc), 5u);
}

TEST(CsvTokenizer, FieldValueIsAViewUnlessUnescapingNeeded) {
  const std::string in = "plain,\"simple\",\"a\"\"b\"\n";
  CsvChunk chunk;
  tokenize_csv(in.data(), in.size(), CsvDialect{}, true, chunk);
  ASSERT_EQ(chunk.fields.size(), 3u);
  std::string scratch;
  auto v0 = csv_field_value(in.data(), chunk.fields[0], CsvDialect{}, scratch);
  EXPECT_EQ(v0, "plain");
  EXPECT_EQ(v0.data(), in.data());
  auto v1 = csv_field_value(in.data(), chunk.fields[1], CsvDialect{}, scratch);
  EXPECT_EQ(v1, "simple");
  EXPECT_EQ(v1.data(), in.data() + 7);
  auto v2 = csv_field_value(in.data(), chunk.fields[2], CsvDialect{}, scratch);
  EXPECT_EQ(v2, "a\"b");
  EXPECT_EQ(v2.data(), scratch.data());
}

// Long values with quotes anywhere (the de-quote copies 16 bytes at a time): each field is an unquoted prefix, then
// a quoted section with its quotes doubled, then an unquoted suffix, and its value is the three joined.
TEST(CsvTokenizer, FieldValuesOfQuotedSectionsOfAnyLength) {
  std::mt19937 rng(11);
  const std::string alphabet = "ab\",{} \n";
  const auto text = [&](size_t max, bool quotes) {
    std::string t;
    for (size_t i = rng() % (max + 1); i > 0; --i) {
      const char c = alphabet[rng() % alphabet.size()];
      if (quotes || (c != '"' && c != ',' && c != '\n')) t += c;
    }
    return t;
  };
  for (int round = 0; round < 2000; ++round) {
    const std::string prefix = text(20, false), inner = text(70, true), suffix = text(20, false);
    std::string field = prefix + "\"";
    for (char c : inner) field += c == '"' ? std::string("\"\"") : std::string(1, c);
    field += "\"" + suffix;
    const std::string in = field + ",x\n";
    CsvChunk chunk;
    tokenize_csv(in.data(), in.size(), CsvDialect{}, true, chunk);
    ASSERT_EQ(chunk.fields.size(), 2u) << in;
    std::string scratch;
    EXPECT_EQ(csv_field_value(in.data(), chunk.fields[0], CsvDialect{}, scratch), prefix + inner + suffix) << in;
  }
}

// Fields quoted whole take a 16-byte path that drops the second quote of each run: random fields of quotes and
// other bytes, with runs of every length across the 16-byte steps, give the same value as the byte-by-byte rules
// (which also decide the fields where a run has odd length, so a section closes inside the field).
TEST(CsvTokenizer, WholeQuotedFieldValuesMatchTheScalarRules) {
  std::mt19937 rng(29);
  for (int round = 0; round < 20000; ++round) {
    std::string inner;
    const size_t len = rng() % 200;       // up to four 64-byte blocks, the last one short or whole
    const bool doubled = rng() % 2 == 0;  // half the fields a valid "...""...": every run of even length
    while (inner.size() < len) {
      if (rng() % 3 == 0) {
        size_t run = 1 + rng() % (rng() % 8 == 0 ? 20 : 3);
        if (doubled && run % 2 == 1) ++run;
        inner.append(run, '"');
      } else {
        inner += "ab,{} \\y"[rng() % 8];
      }
    }
    const std::string in = "\"" + inner + "\"";
    const CsvField f{0, static_cast<uint32_t>(in.size()), true};
    for (const CsvDialect& d : {CsvDialect{}, CsvDialect{',', '"', '\\'}}) {
      std::string scratch, scalar_scratch;
      const std::string want(csv_quoted_field_value_scalar(in.data(), f, d, scalar_scratch));
      EXPECT_EQ(csv_field_value(in.data(), f, d, scratch), want) << in;
    }
  }
  std::string scratch;
  EXPECT_EQ(csv_field_value("\"a\"\"b\"\"\"\"\"", CsvField{0, 10, true}, CsvDialect{}, scratch), "a\"b\"\"");
  EXPECT_EQ(csv_field_value("\"a\"b\"\"", CsvField{0, 6, true}, CsvDialect{}, scratch), "ab");
  const std::string all_quotes(2 + 40, '"');  // 20 doubled quotes: a run longer than a 16-byte step
  EXPECT_EQ(csv_field_value(all_quotes.data(), CsvField{0, 42, true}, CsvDialect{}, scratch), std::string(20, '"'));
}

TEST(CsvTokenizer, NoAllocationOnceWarm) {
  std::string in;
  for (int i = 0; i < 1000; ++i)
    in += std::to_string(i) + ",https://api.github.com/users/u" + std::to_string(i) + ",\"x\"\n";
  for (CsvKernel k : all_kernels()) {
    CsvChunk chunk;
    tokenize_csv_with(k, in.data(), in.size(), CsvDialect{}, true, chunk);
    const auto* records = chunk.records.data();
    const auto* fields = chunk.fields.data();
    tokenize_csv_with(k, in.data(), in.size(), CsvDialect{}, true, chunk);
    EXPECT_EQ(chunk.records.size(), 1000u);
    EXPECT_EQ(chunk.fields.size(), 3000u);
    EXPECT_EQ(chunk.records.data(), records) << csv_kernel_name(k);
    EXPECT_EQ(chunk.fields.data(), fields) << csv_kernel_name(k);
  }
}

TEST(CsvTokenizer, DialectValidation) {
  EXPECT_EQ(csv_dialect_error(CsvDialect{}), nullptr);
  EXPECT_EQ(csv_dialect_error(CsvDialect{'\t', '\'', '\\'}), nullptr);
  EXPECT_NE(csv_dialect_error(CsvDialect{',', ',', '"'}), nullptr);
  EXPECT_NE(csv_dialect_error(CsvDialect{'\n', '"', '"'}), nullptr);
  EXPECT_NE(csv_dialect_error(CsvDialect{',', '\r', '\r'}), nullptr);
}

// Random input over an alphabet rich in structural characters, for many dialects and lengths around block edges.
std::string random_csv(std::mt19937& rng, size_t len, const CsvDialect& d) {
  const char alphabet[] = {d.delimiter, d.quote, d.escape, '\n', '\r', 'a', 'b', '\\', '.', ' ', '\xEF'};
  std::uniform_int_distribution<size_t> pick(0, sizeof alphabet - 1);
  std::string s(len, 'x');
  for (auto& c : s) c = alphabet[pick(rng)];
  return s;
}

const std::vector<CsvDialect>& test_dialects() {
  static const std::vector<CsvDialect> ds = {
      {}, {'\t', '"', '"'}, {';', '\'', '\''}, {',', '"', '\\'}, {'|', '\'', '\\'}, {',', '"', ','},
  };
  return ds;
}

TEST(CsvTokenizer, SimdMatchesScalarOnRandomInput) {
  std::mt19937 rng(20240611);
  for (const auto& d : test_dialects()) {
    for (int iter = 0; iter < 400; ++iter) {
      const size_t len = iter < 200 ? iter : std::uniform_int_distribution<size_t>(0, 700)(rng);
      const std::string in = random_csv(rng, len, d);
      for (bool eof : {true, false}) {
        for (bool start : {true, false}) {
          CsvChunk ref, got;
          tokenize_csv_scalar(in.data(), in.size(), d, eof, ref, start);
          const auto expected = resolve(in.data(), ref, d);
          for (CsvKernel k : all_kernels()) {
            tokenize_csv_with(k, in.data(), in.size(), d, eof, got, start);
            ASSERT_EQ(resolve(in.data(), got, d), expected)
                << csv_kernel_name(k) << " input: " << testing::PrintToString(in);
            ASSERT_EQ(got.consumed, ref.consumed);
          }
        }
      }
    }
  }
}

// A file full of records that must not be cut inside: quoted newlines, CRLF, doubled quotes, errors.
std::string tricky_file() {
  return "\xEF\xBB\xBFid,name,note\r\n"
         "1,\"multi\nline\",\"with \"\"quotes\"\" and, commas\"\r\n"
         "2,,\"\"\n"
         "\n"
         "3,\"crlf\r\ninside\",x\"y\"z\n"
         "\\.\n"
         "4,lone\rcr,after\n"
         "5,\"\n\n\n\",\"\"\"\"\n"
         "6,https://api.github.com/users/someone,\"https://avatars.githubusercontent.com/u/6?v=4\"\n"
         "7,\"unterminated,\nquote";
}

// The pipeline's read stage: tokenize what has been read, keep its whole records, carry the rest over.
std::vector<Rec> parse_in_chunks(CsvKernel k, const std::string& in, const CsvDialect& d,
                                 const std::vector<size_t>& cuts) {
  std::vector<Rec> all;
  CsvChunk chunk;
  size_t carry_begin = 0;  // stream offset of the carried-over tail
  bool stream_start = true;
  auto emit = [&](size_t begin, size_t end, bool at_eof) {
    tokenize_csv_with(k, in.data() + begin, end - begin, d, at_eof, chunk, stream_start);
    if (chunk.records.empty() && !at_eof) return size_t{0};  // no whole record yet: keep reading
    auto recs = resolve(in.data() + begin, chunk, d, begin);
    all.insert(all.end(), recs.begin(), recs.end());
    stream_start = false;
    return chunk.consumed;
  };
  for (size_t cut : cuts) carry_begin += emit(carry_begin, cut, false);
  if (carry_begin < in.size() || stream_start) {
    EXPECT_EQ(emit(carry_begin, in.size(), true), in.size() - carry_begin);
  }
  return all;
}

TEST(CsvTokenizer, EverySplitOffsetGivesTheUnsplitParse) {
  const std::string in = tricky_file();
  for (const auto& d : {CsvDialect{}, CsvDialect{',', '"', '\\'}}) {
    CsvChunk whole;
    tokenize_csv_scalar(in.data(), in.size(), d, true, whole, true);
    const auto expected = resolve(in.data(), whole, d);
    ASSERT_GE(expected.size(), 10u);
    for (CsvKernel k : all_kernels()) {
      for (size_t split = 0; split <= in.size(); ++split)
        ASSERT_EQ(parse_in_chunks(k, in, d, {split}), expected) << csv_kernel_name(k) << " split at " << split;
    }
  }
}

TEST(CsvTokenizer, TinyBuffersGiveTheUnsplitParse) {
  std::string in = tricky_file();
  for (int i = 0; i < 5; ++i) in = in.substr(0, in.size() - 5) + "\"\n" + in.substr(3);  // long, still tricky
  CsvChunk whole;
  tokenize_csv_scalar(in.data(), in.size(), CsvDialect{}, true, whole, true);
  const auto expected = resolve(in.data(), whole, CsvDialect{});
  for (CsvKernel k : all_kernels()) {
    for (size_t step = 1; step <= 70; ++step) {
      std::vector<size_t> cuts;
      for (size_t c = step; c < in.size(); c += step) cuts.push_back(c);
      ASSERT_EQ(parse_in_chunks(k, in, CsvDialect{}, cuts), expected) << csv_kernel_name(k) << " step " << step;
    }
  }
}

TEST(CsvTokenizer, TrickyFileRecords) {
  const std::string in = tricky_file();
  const auto recs = parse_all(in, {}, true, true);
  ASSERT_EQ(recs.size(), 10u);
  EXPECT_EQ(recs[0].fields[0].value, "id");
  EXPECT_EQ(recs[1].fields[1].value, "multi\nline");
  EXPECT_EQ(recs[1].fields[2].value, "with \"quotes\" and, commas");
  EXPECT_EQ(recs[1].newlines, 1u);
  EXPECT_EQ(rows_of({recs[2]}), (std::vector<Row>{{"2", kNull, ""}}));
  EXPECT_EQ(rows_of({recs[3]}), (std::vector<Row>{{kNull}}));
  EXPECT_EQ(recs[4].fields[2].value, "xyz");
  EXPECT_EQ(recs[5].error, CsvRecordError::EndOfDataMarker);
  EXPECT_EQ(recs[6].error, CsvRecordError::CarriageReturn);
  EXPECT_EQ(recs[7].newlines, 3u);
  EXPECT_EQ(recs[7].fields[2].value, "\"");
  EXPECT_EQ(recs[8].fields.size(), 3u);
  EXPECT_EQ(recs[9].error, CsvRecordError::UnterminatedQuote);
}

// The reader numbers lines with simd::count_byte: the same count as a byte loop at every length and offset, and past
// the 255 blocks (4,080 bytes) a byte counter holds when every byte matches.
TEST(CsvTokenizer, LineEndCountMatchesAByteLoop) {
  std::mt19937 rng(7);
  std::string buf(20000, '\0');
  for (char& ch : buf) ch = "ab\n\r"[rng() % 4];
  for (size_t len : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{4079}, size_t{4080}, size_t{4081},
                     size_t{8191}, size_t{19990}})
    for (size_t at : {size_t{0}, size_t{1}, size_t{7}})
      for (char c : {'\n', '\r'})
        EXPECT_EQ(simd::count_byte(buf.data() + at, len, c),
                  static_cast<uint64_t>(std::count(buf.data() + at, buf.data() + at + len, c)))
            << "length " << len << " at " << at;
  const std::string all(3 * 4080 + 21, '\n');
  EXPECT_EQ(simd::count_byte(all.data(), all.size(), '\n'), all.size());
  EXPECT_EQ(simd::count_byte(all.data(), all.size(), '\r'), 0u);
}

}  // namespace
}  // namespace pgload

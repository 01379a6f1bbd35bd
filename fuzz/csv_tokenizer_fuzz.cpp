// Fuzz target: every SIMD CSV kernel must tokenize exactly like the scalar oracle, and cutting a stream where its
// whole records end (as the read stage does) then carrying the tail over must not change the records.
// Input: byte 0 picks dialect and flags, byte 1 picks a split offset, the rest is CSV data.
#include "loader/csv_tokenizer.h"

#include <cstdlib>
#include <cstring>
#include <string>

using pgload::CsvChunk;
using pgload::CsvDialect;
using pgload::CsvKernel;

namespace {

const CsvDialect kDialects[] = {
    {',', '"', '"'},   {'\t', '"', '"'}, {';', '\'', '\''}, {',', '"', '\\'},
    {'|', '\'', '\\'}, {',', '"', ','},  {'\\', '"', '"'},  {',', '\\', '\\'},
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "csv_tokenizer_fuzz: %s\n", what);
  std::abort();
}

bool same(const CsvChunk& a, const CsvChunk& b, size_t b_shift = 0) {
  if (a.records.size() != b.records.size()) return false;
  for (size_t i = 0; i < a.records.size(); ++i) {
    const auto &ra = a.records[i], &rb = b.records[i];
    if (ra.begin != rb.begin + b_shift || ra.end != rb.end + b_shift || ra.field_count != rb.field_count ||
        ra.newlines != rb.newlines || ra.error != rb.error ||
        (ra.error != pgload::CsvRecordError::None && ra.error_offset != rb.error_offset + b_shift))
      return false;
    for (uint32_t f = 0; f < ra.field_count; ++f) {
      const auto &fa = a.fields[ra.first_field + f], &fb = b.fields[rb.first_field + f];
      if (fa.begin != fb.begin + b_shift || fa.end != fb.end + b_shift || fa.quoted != fb.quoted) return false;
    }
  }
  return true;
}

// Structural invariants every tokenization must satisfy.
void check_shape(const char* data, size_t len, const CsvChunk& c, const CsvDialect& d) {
  std::string scratch, scalar_scratch;
  size_t prev_end = 0;
  for (const auto& r : c.records) {
    if (r.begin > r.end || r.end > len || r.begin < prev_end || r.field_count == 0) fail("bad record bounds");
    if (r.first_field + r.field_count > c.fields.size()) fail("bad field index");
    uint32_t pos = r.begin;
    for (uint32_t f = 0; f < r.field_count; ++f) {
      const auto& fld = c.fields[r.first_field + f];
      if (fld.begin != pos || fld.end < fld.begin || fld.end > r.end) fail("bad field bounds");
      pos = fld.end + 1;
      const auto v = pgload::csv_field_value(data, fld, d, scratch);
      if (v.size() > fld.end - fld.begin) fail("value longer than raw field");
      if (fld.quoted && v != pgload::csv_quoted_field_value_scalar(data, fld, d, scalar_scratch))
        fail("value differs from the scalar de-quote");
    }
    if (c.fields[r.first_field + r.field_count - 1].end != r.end) fail("last field does not end the record");
    prev_end = r.end;
  }
  if (c.consumed > len) fail("consumed past the end");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* raw, size_t size) {
  if (size < 2) return 0;
  const CsvDialect d = kDialects[raw[0] % (sizeof kDialects / sizeof kDialects[0])];
  const bool at_eof = (raw[0] & 0x40) == 0;
  const bool at_stream_start = (raw[0] & 0x80) != 0;
  const char* data = reinterpret_cast<const char*>(raw + 2);
  const size_t len = size - 2;

  CsvChunk ref, got;
  pgload::tokenize_csv_scalar(data, len, d, at_eof, ref, at_stream_start);
  check_shape(data, len, ref, d);
  for (CsvKernel k : {CsvKernel::Sse2, CsvKernel::Avx2}) {
    if (!pgload::csv_kernel_supported(k)) continue;
    pgload::tokenize_csv_with(k, data, len, d, at_eof, got, at_stream_start);
    if (!same(ref, got) || got.consumed != ref.consumed) fail("SIMD tokenizer differs from scalar");
  }

  // The read stage's cut: records before it are exactly the leading records of the whole parse.
  if (!at_eof) return 0;
  const size_t split = len == 0 ? 0 : raw[1] % (len + 1);
  CsvChunk head, tail;
  pgload::tokenize_csv(data, split, d, false, head, at_stream_start);
  const size_t cut = head.records_end();
  if (cut == 0) head = CsvChunk{};
  pgload::tokenize_csv(data + cut, len - cut, d, true, tail, at_stream_start && cut == 0);
  CsvChunk joined = head;
  for (const auto& r : tail.records) {
    auto shifted = r;
    shifted.begin += cut;
    shifted.end += cut;
    shifted.error_offset += cut;
    shifted.first_field += static_cast<uint32_t>(joined.fields.size());
    joined.records.push_back(shifted);
  }
  for (size_t i = 0; i < tail.fields.size(); ++i) {
    auto f = tail.fields[i];
    f.begin += cut;
    f.end += cut;
    joined.fields.push_back(f);
  }
  // first_field of the tail records was shifted by the head's field count before the tail fields were appended.
  if (!same(ref, joined)) fail("split parse differs from unsplit parse");
  return 0;
}

// Fuzz target: every SIMD text kernel must tokenize exactly like the scalar oracle, de-escaping must stay within
// bounds, and cutting a stream where its whole records end (as the read stage does) then carrying the tail over
// must not change the records.
// Input: byte 0 picks delimiter, line end and flags, byte 1 picks a split offset, the rest is COPY text data.
#include "loader/text_tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using pgload::CsvKernel;
using pgload::TextChunk;
using pgload::TextEol;

namespace {

const char kDelimiters[] = {'\t', '|', ',', ';', '"', ' ', 'X', '\x01'};
const TextEol kEols[] = {TextEol::Lf, TextEol::CrLf, TextEol::Cr, TextEol::Unknown};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "text_tokenizer_fuzz: %s\n", what);
  std::abort();
}

bool same(const TextChunk& a, const TextChunk& b) {
  if (a.records.size() != b.records.size() || a.end_of_data != b.end_of_data) return false;
  for (size_t i = 0; i < a.records.size(); ++i) {
    const auto &ra = a.records[i], &rb = b.records[i];
    if (ra.begin != rb.begin || ra.end != rb.end || ra.field_count != rb.field_count || ra.newlines != rb.newlines ||
        ra.error != rb.error || (ra.error != pgload::TextRecordError::None && ra.error_offset != rb.error_offset))
      return false;
    for (uint32_t f = 0; f < ra.field_count; ++f) {
      const auto &fa = a.fields[ra.first_field + f], &fb = b.fields[rb.first_field + f];
      if (fa.begin != fb.begin || fa.end != fb.end) return false;
    }
  }
  return true;
}

// Structural invariants every tokenization must satisfy.
void check_shape(const char* data, size_t len, const TextChunk& c) {
  std::string scratch;
  size_t prev_end = 0;
  for (const auto& r : c.records) {
    if (r.begin > r.end || r.end > len || r.begin < prev_end || r.field_count == 0) fail("bad record bounds");
    if (r.first_field + r.field_count > c.fields.size()) fail("bad field index");
    uint32_t pos = r.begin;
    for (uint32_t f = 0; f < r.field_count; ++f) {
      const auto& fld = c.fields[r.first_field + f];
      if (fld.begin != pos || fld.end < fld.begin || fld.end > r.end) fail("bad field bounds");
      pos = fld.end + 1;
      bool needs_check = false;
      const auto v = pgload::text_field_value(data, fld, scratch, needs_check);
      if (v.size() > fld.end - fld.begin) fail("value longer than raw field");
    }
    prev_end = r.end;
  }
  if (c.consumed > len) fail("consumed past the end");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* raw, size_t size) {
  if (size < 2) return 0;
  const char delim = kDelimiters[raw[0] % 8];
  const TextEol eol = kEols[(raw[0] >> 3) % 4];
  const bool at_eof = (raw[0] & 0x40) == 0;
  const char* data = reinterpret_cast<const char*>(raw + 2);
  const size_t len = size - 2;

  TextChunk ref, got;
  pgload::tokenize_text_scalar(data, len, delim, eol, at_eof, ref);
  check_shape(data, len, ref);
  for (CsvKernel k : {CsvKernel::Sse2, CsvKernel::Avx2}) {
    if (!pgload::csv_kernel_supported(k)) continue;
    pgload::tokenize_text_with(k, data, len, delim, eol, at_eof, got);
    if (!same(ref, got) || got.consumed != ref.consumed) fail("SIMD tokenizer differs from scalar");
  }
  (void)pgload::detect_text_eol(data, len, at_eof);

  // The read stage's cut: records before it are exactly the leading records of the whole parse.
  if (!at_eof) return 0;
  const size_t split = len == 0 ? 0 : raw[1] % (len + 1);
  TextChunk head, tail;
  pgload::tokenize_text(data, split, delim, eol, false, head);
  if (head.end_of_data) {  // the data ended inside the head: the tail is never read
    if (!same(ref, head)) fail("split parse differs from unsplit parse at the end-of-copy marker");
    return 0;
  }
  const size_t cut = head.records_end();
  if (cut == 0) head = TextChunk{};
  pgload::tokenize_text(data + cut, len - cut, delim, eol, true, tail);
  TextChunk joined = head;
  for (const auto& r : tail.records) {
    auto shifted = r;
    shifted.begin += cut;
    shifted.end += cut;
    shifted.error_offset += cut;
    shifted.first_field += static_cast<uint32_t>(joined.fields.size());
    joined.records.push_back(shifted);
  }
  for (auto f : tail.fields) {
    f.begin += cut;
    f.end += cut;
    joined.fields.push_back(f);
  }
  joined.end_of_data = tail.end_of_data;
  if (!same(ref, joined)) fail("split parse differs from unsplit parse");
  return 0;
}

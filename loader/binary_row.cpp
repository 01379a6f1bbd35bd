// Send formats mirrored from PostgreSQL 15: int2send/int4send/int8send (big-endian), float4send/float8send (the
// IEEE bits, big-endian), boolsend (one byte), uuid_send (16 bytes), textsend/varcharsend/bpcharsend/json_send (the
// bytes), jsonb_send (version byte 1, then the text), numeric_send (ndigits, weight, sign, dscale, base-10000
// digits), date_send (int32 days since 2000-01-01), time_send/timestamp_send/timestamptz_send (int64 microseconds,
// since midnight or since 2000-01-01, UTC for timestamptz), timetz_send (+ int32 zone), interval_send (int64 usecs,
// int32 days, int32 months), inet_send (family, bits, is_cidr, length, address), macaddr_send (6 bytes),
// bytea_send (the bytes), enum_send (the label's bytes), array_send (ndim, has-nulls flag, element type OID, per
// dimension its length and lower bound 1, then each element as a field). Every value comes from the one
// parse of common/pg_input. The receive functions apply the column's typmod as the input functions do, and those
// of text types run the same length and encoding checks as their input functions.
#include "loader/binary_row.h"

#include <bit>
#include <cstring>

namespace pgload {
namespace {

using binary_detail::append_field;
using binary_detail::extend;
using binary_detail::put_be;
using binary_detail::put_field;
using binary_detail::put_length;

template <class Out>
void append_numeric(Out& out, const PgNumeric& n) {
  static constexpr uint16_t kSign[] = {0x0000, 0xC000, 0xD000, 0xF000};  // POS, NAN, PINF, NINF
  const uint16_t sign =
      n.kind == PgNumeric::Kind::Finite ? (n.negative ? 0x4000 : 0x0000) : kSign[static_cast<int>(n.kind)];
  char* p = put_field(out, 8 + 2 * n.digits.size());
  p = put_be<uint16_t>(p, static_cast<uint16_t>(n.digits.size()));
  p = put_be<uint16_t>(p, static_cast<uint16_t>(n.weight));
  p = put_be<uint16_t>(p, sign);
  p = put_be<uint16_t>(p, n.dscale);
  for (int16_t d : n.digits) p = put_be<uint16_t>(p, static_cast<uint16_t>(d));
}

// array_send: the header, then every element as its own field; false (out partly written) when an element has no
// exact send form (it is parsed here, once: the array's parse only split it).
template <class Out>
bool append_array(Out& out, const ColumnType& t, const PgArray& a) {
  const size_t length_at = out.size();
  char* p = extend(out, 16 + 8 * static_cast<size_t>(a.ndim));
  p = put_length(p, 0);  // patched below
  p = put_be<uint32_t>(p, static_cast<uint32_t>(a.ndim));
  p = put_be<uint32_t>(p, a.has_nulls ? 1 : 0);
  p = put_be<uint32_t>(p, t.element_oid);
  for (int d = 0; d < a.ndim; ++d) {
    p = put_be<uint32_t>(p, static_cast<uint32_t>(a.dims[d]));
    p = put_be<uint32_t>(p, 1);  // lower bound
  }
  const ColumnType element = t.element_type();
  for (size_t i = 0; i < a.count(); ++i) {
    const std::optional<std::string_view> text = a.element(i);
    if (!text) {
      put_be<uint32_t>(extend(out, 4), 0xFFFFFFFFu);
      continue;
    }
    // nul_free: the array's text was checked for NUL bytes, so its elements hold none.
    if (!append_field(out, element, parse_pg_input(element, *text, true))) return false;
  }
  put_length(out.data() + length_at, out.size() - length_at - 4);
  return true;
}

template <class Out>
bool append_composite(Out& out, const ColumnType& t, const PgInput& v) {
  switch (t.type) {
    case PgType::Numeric:
      append_numeric(out, v.numeric);
      return true;
    case PgType::Timetz: {  // timetz_send: the time, then the zone (seconds west of UTC)
      char* p = put_field(out, 12);
      put_be<uint32_t>(put_be<uint64_t>(p, static_cast<uint64_t>(v.i)), static_cast<uint32_t>(v.zone));
      return true;
    }
    case PgType::Interval: {  // interval_send: microseconds, days, months
      char* p = put_be<uint64_t>(put_field(out, 16), static_cast<uint64_t>(v.i));
      put_be<uint32_t>(put_be<uint32_t>(p, static_cast<uint32_t>(v.days)), static_cast<uint32_t>(v.months));
      return true;
    }
    case PgType::Inet:
    case PgType::Cidr: {  // inet_send: family, bits, is_cidr, address length, address
      char* p = put_field(out, 4 + v.inet.addr_bytes());
      p[0] = static_cast<char>(v.inet.family);
      p[1] = static_cast<char>(v.inet.bits);
      p[2] = t.type == PgType::Cidr ? 1 : 0;
      p[3] = static_cast<char>(v.inet.addr_bytes());
      std::memcpy(p + 4, v.inet.addr, v.inet.addr_bytes());
      return true;
    }
    case PgType::Macaddr:
      std::memcpy(put_field(out, 6), v.inet.addr, 6);
      return true;
    case PgType::Array:
      return append_array(out, t, *v.array);
    default:  // PgType::Other
      return false;
  }
}

}  // namespace

namespace binary_detail {
bool append_composite_field(std::string& out, const ColumnType& t, const PgInput& v) {
  return append_composite(out, t, v);
}
bool append_composite_field(RowBytes& out, const ColumnType& t, const PgInput& v) {
  return append_composite(out, t, v);
}
}  // namespace binary_detail

bool binary_encodable(const std::vector<ColumnType>& types) noexcept {
  for (const ColumnType& t : types)
    if (t.type == PgType::Other || (t.type == PgType::Array && t.element == PgType::Other) ||
        (t.type == PgType::Enum && !t.enum_type))
      return false;
  return true;
}

void append_binary_header(std::string& out) {
  static constexpr char kHeader[kBinaryHeaderBytes] = {'P',  'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n',
                                                       '\0', 0,   0,   0,   0,   0,   0,    0,      0};
  out.append(kHeader, sizeof kHeader);
}

void append_binary_trailer(std::string& out) { put_be<uint16_t>(extend(out, 2), 0xFFFF); }

void append_binary_row_start(std::string& out, uint16_t fields) { put_be<uint16_t>(extend(out, 2), fields); }

void append_binary_null(std::string& out) { put_be<uint32_t>(extend(out, 4), 0xFFFFFFFFu); }
void append_binary_null(RowBytes& out) { put_be<uint32_t>(extend(out, 4), 0xFFFFFFFFu); }

bool append_binary_field(std::string& out, const ColumnType& t, const PgInput& v) { return append_field(out, t, v); }

bool append_binary_field(std::string& out, const ColumnType& t, std::optional<std::string_view> value) {
  if (!value) {
    append_binary_null(out);
    return true;
  }
  return append_binary_field(out, t, parse_pg_input(t, *value));
}

bool sort_key_is_exact(PgType t) noexcept {
  return t == PgType::Int2 || t == PgType::Int4 || t == PgType::Int8 || t == PgType::Text || t == PgType::Varchar;
}

uint64_t sort_key_of_bytes(std::string_view bytes) noexcept {
  uint64_t key = 0;
  for (size_t k = 0; k < 8; ++k) key = (key << 8) | (k < bytes.size() ? static_cast<unsigned char>(bytes[k]) : 0);
  return key;
}

}  // namespace pgload

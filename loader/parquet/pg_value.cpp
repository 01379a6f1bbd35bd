#include "loader/parquet/pg_value.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "common/citus_hash.h"

namespace pgload::parquet {
namespace {

// What a leaf's values are, from its physical and logical type.
enum class Src : uint8_t {
  Bool,
  Int,
  UInt,
  Float,
  Double,
  String,
  Json,
  Binary,
  Uuid,
  Decimal,
  Date,
  Time,
  Timestamp,
  Int96,
  Unsupported
};

Src source_kind(const LeafColumn& leaf) {
  const SchemaElement& e = leaf.element;
  const Physical t = *e.type;
  const bool bytes = t == Physical::ByteArray || t == Physical::FixedLenByteArray;
  const bool ints = t == Physical::Int32 || t == Physical::Int64;
  switch (e.logical) {
    case Logical::String:
      return bytes ? Src::String : Src::Unsupported;
    case Logical::Json:
      return bytes ? Src::Json : Src::Unsupported;
    case Logical::Bson:
      return bytes ? Src::Binary : Src::Unsupported;
    case Logical::Uuid:
      return t == Physical::FixedLenByteArray && e.type_length == 16 ? Src::Uuid : Src::Unsupported;
    case Logical::Decimal:
      return (ints || bytes) && e.scale >= 0 && e.scale <= 1000 ? Src::Decimal : Src::Unsupported;
    case Logical::Date:
      return t == Physical::Int32 ? Src::Date : Src::Unsupported;
    case Logical::Time:
      return ints ? Src::Time : Src::Unsupported;
    case Logical::Timestamp:
      return t == Physical::Int64 ? Src::Timestamp : Src::Unsupported;
    case Logical::Integer:
      return ints ? (e.int_signed ? Src::Int : Src::UInt) : Src::Unsupported;
    case Logical::None:
      break;
    default:
      return Src::Unsupported;
  }
  switch (t) {
    case Physical::Boolean:
      return Src::Bool;
    case Physical::Int32:
    case Physical::Int64:
      return Src::Int;
    case Physical::Int96:
      return Src::Int96;
    case Physical::Float:
      return Src::Float;
    case Physical::Double:
      return Src::Double;
    default:
      return Src::Binary;
  }
}

template <class T>
void put_be(std::string& out, T v) {
  static_assert(sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
  auto u = static_cast<std::make_unsigned_t<T>>(v);
  if constexpr (sizeof(T) == 2) u = __builtin_bswap16(u);
  if constexpr (sizeof(T) == 4) u = __builtin_bswap32(u);
  if constexpr (sizeof(T) == 8) u = __builtin_bswap64(u);
  char b[sizeof(T)];
  std::memcpy(b, &u, sizeof(T));
  out.append(b, sizeof(T));
}

void put_len(std::string& out, size_t n) { put_be<uint32_t>(out, static_cast<uint32_t>(n)); }

const char* why(std::string s) {
  thread_local std::string msg;
  msg = std::move(s);
  return msg.c_str();
}

const char* cannot(const LeafColumn& leaf, const ColumnType& t) {
  return why("a Parquet " + parquet_type_name(leaf) + " value cannot go into type " + pg_type_name(t.type));
}

const char* out_of_range(const ColumnType& t) {
  return why(std::string("value out of range for type ") + pg_type_name(t.type));
}

// The integer of an Int/UInt source.
__int128 integer_of(const LeafColumn& leaf, Src s, const RawValue& v) {
  if (s == Src::UInt)
    return *leaf.element.type == Physical::Int32 ? static_cast<__int128>(static_cast<uint32_t>(v.i))
                                                 : static_cast<__int128>(static_cast<uint64_t>(v.i));
  return v.i;
}

// The unscaled integer of a DECIMAL (big-endian two's complement for byte arrays); false past 128 bits.
bool decimal_unscaled(const LeafColumn& leaf, const RawValue& v, __int128& out) {
  const Physical t = *leaf.element.type;
  if (t == Physical::Int32 || t == Physical::Int64) {
    out = v.i;
    return true;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(v.b.data());
  size_t n = v.b.size();
  if (n == 0) {
    out = 0;
    return true;
  }
  const bool neg = p[0] & 0x80;
  // Leading sign-extension bytes beyond 16 carry nothing.
  while (n > 16 && p[0] == (neg ? 0xff : 0x00)) {
    ++p;
    --n;
  }
  if (n > 16) return false;
  unsigned __int128 u = neg ? ~static_cast<unsigned __int128>(0) : 0;
  for (size_t k = 0; k < n; ++k) u = (u << 8) | p[k];
  out = static_cast<__int128>(u);
  return true;
}

std::string u128_digits(unsigned __int128 u) {
  if (u == 0) return "0";
  char buf[48];
  int i = 48;
  while (u > 0) {
    buf[--i] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  }
  return {buf + i, static_cast<size_t>(48 - i)};
}

// numeric_send of unscaled * 10^-scale shown with `dscale` digits after the point (dscale >= scale), with the
// column's precision checked; also its text. Returns a reason or nullptr.
const char* append_numeric(std::string& out, __int128 unscaled, int scale, const ColumnType& t, Converted& conv) {
  int dscale = scale;
  if (t.typmod >= 4) {
    const int32_t tm = t.typmod - 4;
    const int precision = (tm >> 16) & 0xffff;
    int col_scale = tm & 0x7ff;
    if (col_scale & 0x400) col_scale -= 0x800;  // PostgreSQL 15 allows negative scales
    if (col_scale < scale) {
      // Rounded half away from zero, as numeric's apply_typmod does.
      const int drop = scale - col_scale;
      const bool neg = unscaled < 0;
      unsigned __int128 u = neg ? -static_cast<unsigned __int128>(unscaled) : static_cast<unsigned __int128>(unscaled);
      if (drop > 38) {
        u = 0;
      } else {
        unsigned __int128 p10 = 1;
        for (int k = 0; k < drop; ++k) p10 *= 10;
        const unsigned __int128 rem = u % p10;
        u /= p10;
        if (rem * 2 >= p10) ++u;
      }
      unscaled = neg ? -static_cast<__int128>(u) : static_cast<__int128>(u);
      scale = col_scale;
    }
    dscale = col_scale < 0 ? 0 : col_scale;
    // Digits before the point must fit precision - scale.
    const bool neg = unscaled < 0;
    const std::string d =
        u128_digits(neg ? -static_cast<unsigned __int128>(unscaled) : static_cast<unsigned __int128>(unscaled));
    const int int_digits = d == "0" ? 0 : static_cast<int>(d.size()) - scale;
    if (int_digits > precision - col_scale)
      return why("numeric field overflow (precision " + std::to_string(precision) + ", scale " +
                 std::to_string(col_scale) + ")");
  }
  const bool neg = unscaled < 0;
  std::string d =
      u128_digits(neg ? -static_cast<unsigned __int128>(unscaled) : static_cast<unsigned __int128>(unscaled));
  // A negative scale (a rounded value) means trailing zeros.
  if (scale < 0) {
    d.append(static_cast<size_t>(-scale), '0');
    scale = 0;
  }
  if (d.size() <= static_cast<size_t>(scale)) d.insert(0, static_cast<size_t>(scale) + 1 - d.size(), '0');
  std::string ip = d.substr(0, d.size() - static_cast<size_t>(scale));
  std::string fp = d.substr(d.size() - static_cast<size_t>(scale));
  conv.numeric_text = (neg ? "-" : "") + ip + (fp.empty() ? "" : "." + fp);
  // Base-10000 groups: the integer part aligned from the point leftwards, the fraction rightwards.
  if (ip.size() % 4) ip.insert(0, 4 - ip.size() % 4, '0');
  if (fp.size() % 4) fp.append(4 - fp.size() % 4, '0');
  std::vector<int16_t> groups;
  for (size_t k = 0; k < ip.size(); k += 4) groups.push_back(static_cast<int16_t>(std::stoi(ip.substr(k, 4))));
  int weight = static_cast<int>(ip.size() / 4) - 1;
  for (size_t k = 0; k < fp.size(); k += 4) groups.push_back(static_cast<int16_t>(std::stoi(fp.substr(k, 4))));
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  const size_t ndigits = last - first;
  if (ndigits == 0) weight = 0;
  put_len(out, 8 + 2 * ndigits);
  put_be<int16_t>(out, static_cast<int16_t>(ndigits));
  put_be<int16_t>(out, static_cast<int16_t>(weight));
  put_be<uint16_t>(out, ndigits && neg ? 0x4000 : 0x0000);
  put_be<int16_t>(out, static_cast<int16_t>(dscale));
  for (size_t k = first; k < last; ++k) put_be<int16_t>(out, groups[k]);
  return nullptr;
}

constexpr int64_t kUnixToPgDays = 10957;  // 1970-01-01 .. 2000-01-01
constexpr int64_t kUnixToPgMicros = kUnixToPgDays * 86400LL * 1000000LL;
constexpr int64_t kMinTimestamp = -211813488000000000LL;  // 4714-11-24 00:00:00 BC, PostgreSQL's MIN_TIMESTAMP
constexpr int64_t kEndTimestamp = 9223371331200000000LL;  // 294277-01-01, END_TIMESTAMP (exclusive)

// Nanoseconds as microseconds, rounded as PostgreSQL's input rounds the same value's text: the fraction of a
// second read as a double, times 10^6, rint (ParseFractionalSecond).
int64_t nanos_to_micros(int64_t ns) {
  int64_t secs = ns / 1000000000;
  int64_t sub = ns % 1000000000;
  if (sub < 0) {
    sub += 1000000000;
    --secs;
  }
  const double frac = static_cast<double>(sub) / 1e9;
  return secs * 1000000 + static_cast<int64_t>(std::rint(frac * 1000000));
}

// A TIME/TIMESTAMP value in its unit as microseconds; false on overflow.
bool to_micros(int64_t v, TimeUnit u, int64_t& out) {
  switch (u) {
    case TimeUnit::Millis:
      return !__builtin_mul_overflow(v, int64_t{1000}, &out);
    case TimeUnit::Micros:
      out = v;
      return true;
    case TimeUnit::Nanos:
      out = nanos_to_micros(v);
      return true;
  }
  return false;
}

// Valid UTF-8 without NUL (PostgreSQL's text). Most values are ASCII: one vectorisable pass decides them.
bool valid_utf8_text(std::string_view s) {
  unsigned char high = 0;
  bool nul = false;
  for (const char ch : s) {
    high |= static_cast<unsigned char>(ch);
    nul |= ch == '\0';
  }
  if (nul) return false;
  return high < 0x80 || simdjson::validate_utf8(s.data(), s.size());
}

}  // namespace

std::optional<ColumnType> target_for(uint32_t oid, int32_t typmod) noexcept {
  const ColumnType t = column_type_for(oid, typmod);
  switch (t.type) {
    case PgType::Bool:
    case PgType::Bytea:
    case PgType::Int2:
    case PgType::Int4:
    case PgType::Int8:
    case PgType::Text:
    case PgType::Varchar:
    case PgType::Bpchar:
    case PgType::Json:
    case PgType::Jsonb:
    case PgType::Float4:
    case PgType::Float8:
    case PgType::Date:
    case PgType::Time:
    case PgType::Timestamp:
    case PgType::Timestamptz:
    case PgType::Numeric:
    case PgType::Uuid:
      return t;
    default:
      return std::nullopt;
  }
}

std::string parquet_type_name(const LeafColumn& leaf) {
  const SchemaElement& e = leaf.element;
  auto unit = [&] { return e.unit == TimeUnit::Millis ? "MILLIS" : e.unit == TimeUnit::Micros ? "MICROS" : "NANOS"; };
  switch (e.logical) {
    case Logical::String:
      return e.is_enum ? "ENUM" : "STRING";
    case Logical::Json:
      return "JSON";
    case Logical::Bson:
      return "BSON";
    case Logical::Uuid:
      return "UUID";
    case Logical::Decimal:
      return "DECIMAL(" + std::to_string(e.precision) + "," + std::to_string(e.scale) + ")";
    case Logical::Date:
      return "DATE";
    case Logical::Time:
      return std::string("TIME(") + unit() + (e.utc ? ",UTC)" : ")");
    case Logical::Timestamp:
      return std::string("TIMESTAMP(") + unit() + (e.utc ? ",UTC)" : ")");
    case Logical::Integer:
      return std::string(e.int_signed ? "INT" : "UINT") + std::to_string(e.int_bits);
    case Logical::Float16:
      return "FLOAT16";
    case Logical::List:
    case Logical::Map:
    case Logical::Other:
      return std::string(physical_name(*e.type)) + " (unsupported annotation)";
    case Logical::None:
      break;
  }
  return physical_name(*e.type);
}

const char* append_pg_field(std::string& out, const LeafColumn& leaf, const ColumnType& t, const RawValue& v,
                            Converted& conv) {
  const Src s = source_kind(leaf);
  switch (t.type) {
    case PgType::Bool:
      if (s != Src::Bool) return cannot(leaf, t);
      conv.boolean = v.i != 0;
      put_len(out, 1);
      out.push_back(conv.boolean ? 1 : 0);
      return nullptr;
    case PgType::Int2:
    case PgType::Int4:
    case PgType::Int8: {
      if (s != Src::Int && s != Src::UInt) return cannot(leaf, t);
      const __int128 x = integer_of(leaf, s, v);
      const int bytes = t.type == PgType::Int2 ? 2 : t.type == PgType::Int4 ? 4 : 8;
      const __int128 max = (static_cast<__int128>(1) << (8 * bytes - 1)) - 1;
      if (x > max || x < -max - 1) return out_of_range(t);
      conv.integer = static_cast<int64_t>(x);
      put_len(out, static_cast<size_t>(bytes));
      if (bytes == 2)
        put_be<uint16_t>(out, static_cast<uint16_t>(conv.integer));
      else if (bytes == 4)
        put_be<uint32_t>(out, static_cast<uint32_t>(conv.integer));
      else
        put_be<uint64_t>(out, static_cast<uint64_t>(conv.integer));
      return nullptr;
    }
    case PgType::Float4:
    case PgType::Float8: {
      double d;
      if (s == Src::Float || s == Src::Double) {
        d = v.r;
      } else if (s == Src::Int || s == Src::UInt) {
        const __int128 x = integer_of(leaf, s, v);
        d = static_cast<double>(x);
        if (d >= 0x1p64 || d <= -0x1p63 || static_cast<__int128>(d) != x)
          return why("integer " + std::string(x < 0 ? "-" : "") +
                     u128_digits(x < 0 ? -static_cast<unsigned __int128>(x) : static_cast<unsigned __int128>(x)) +
                     " has no exact " + pg_type_name(t.type) + " value");
      } else {
        return cannot(leaf, t);
      }
      if (t.type == PgType::Float4) {
        const auto f = static_cast<float>(d);
        if (!std::isnan(d) && static_cast<double>(f) != d) return why(std::string("value has no exact real value"));
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        put_len(out, 4);
        put_be<uint32_t>(out, bits);
      } else {
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        put_len(out, 8);
        put_be<uint64_t>(out, bits);
      }
      conv.real = d;
      return nullptr;
    }
    case PgType::Numeric: {
      __int128 unscaled;
      int scale = 0;
      if (s == Src::Decimal) {
        if (!decimal_unscaled(leaf, v, unscaled)) return why("DECIMAL value wider than 128 bits");
        scale = leaf.element.scale;
      } else if (s == Src::Int || s == Src::UInt) {
        unscaled = integer_of(leaf, s, v);
      } else {
        return cannot(leaf, t);
      }
      return append_numeric(out, unscaled, scale, t, conv);
    }
    case PgType::Text:
    case PgType::Varchar:
    case PgType::Bpchar:
    case PgType::Json:
    case PgType::Jsonb: {
      if (s != Src::String && s != Src::Json && s != Src::Binary) return cannot(leaf, t);
      if (!valid_utf8_text(v.b))
        return why(std::string("invalid byte sequence for encoding \"UTF8\"") +
                   (s == Src::Binary ? " (an unannotated BYTE_ARRAY)" : ""));
      if (const char* bad = check_value(t, v.b)) return bad;
      conv.bytes = v.b;
      if (t.type == PgType::Jsonb) {
        put_len(out, v.b.size() + 1);
        out.push_back(1);  // jsonb_recv's version number
      } else {
        put_len(out, v.b.size());
      }
      out.append(v.b);
      return nullptr;
    }
    case PgType::Uuid: {
      thread_local uint8_t u[16];
      if (s == Src::Uuid) {
        std::memcpy(u, v.b.data(), 16);
      } else if (s == Src::String) {
        const PgInput parsed = parse_pg_input(ColumnType{PgType::Uuid}, v.b);
        if (parsed.status != PgInput::Status::Value) return why("invalid input syntax for type uuid");
        std::memcpy(u, parsed.uuid, 16);
      } else {
        return cannot(leaf, t);
      }
      put_len(out, 16);
      out.append(reinterpret_cast<const char*>(u), 16);
      conv.bytes = std::string_view(reinterpret_cast<const char*>(u), 16);
      return nullptr;
    }
    case PgType::Bytea:
      if (s != Src::Binary && s != Src::String && s != Src::Json && s != Src::Uuid) return cannot(leaf, t);
      conv.bytes = v.b;
      put_len(out, v.b.size());
      out.append(v.b);
      return nullptr;
    case PgType::Date: {
      if (s != Src::Date) return cannot(leaf, t);
      const int64_t d = v.i - kUnixToPgDays;
      // PostgreSQL's IS_VALID_DATE: julian day 0 up to (not including) DATE_END_JULIAN.
      if (d < -2451545 || d >= 2147483494LL - 2451545) return why("date out of range");
      conv.integer = d;
      put_len(out, 4);
      put_be<uint32_t>(out, static_cast<uint32_t>(d));
      return nullptr;
    }
    case PgType::Time: {
      if (s != Src::Time) return cannot(leaf, t);
      int64_t us;
      if (!to_micros(v.i, leaf.element.unit, us) || us < 0 || us > 86400LL * 1000000) return why("time out of range");
      conv.integer = us;
      put_len(out, 8);
      put_be<uint64_t>(out, static_cast<uint64_t>(us));
      return nullptr;
    }
    case PgType::Timestamp:
    case PgType::Timestamptz: {
      int64_t us;
      if (s == Src::Timestamp) {
        // An instant (UTC-adjusted) goes into timestamptz, a local date-time into timestamp: never a time zone
        // guessed.
        if (leaf.element.utc != (t.type == PgType::Timestamptz))
          return why(std::string("a Parquet ") + parquet_type_name(leaf) + " value cannot go into a " +
                     pg_type_name(t.type) + " column (" +
                     (leaf.element.utc ? "an instant: use timestamptz" : "no time zone: use timestamp") + ")");
        if (!to_micros(v.i, leaf.element.unit, us)) return why("timestamp out of range");
      } else if (s == Src::Int96) {
        // Legacy INT96: nanoseconds of the day, then the Julian day; an instant in UTC.
        int64_t nanos;
        int32_t jd;
        std::memcpy(&nanos, v.b.data(), 8);
        std::memcpy(&jd, v.b.data() + 8, 4);
        if (nanos < 0 || nanos >= 86400LL * 1000000000) return why("INT96 timestamp has an impossible time of day");
        us = (static_cast<int64_t>(jd) - 2440588) * 86400LL * 1000000 + nanos_to_micros(nanos);
      } else {
        return cannot(leaf, t);
      }
      if (__builtin_sub_overflow(us, kUnixToPgMicros, &us) || us < kMinTimestamp || us >= kEndTimestamp)
        return why("timestamp out of range");
      conv.integer = us;
      put_len(out, 8);
      put_be<uint64_t>(out, static_cast<uint64_t>(us));
      return nullptr;
    }
    default:  // target_for gives no other type
      break;
  }
  return cannot(leaf, t);
}

namespace {

// Days since 1970-01-01 as a proleptic Gregorian date (H. Hinnant's civil_from_days).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

// "YYYY-MM-DD" (PostgreSQL's ISO style; years before 1 as "YYYY-MM-DD BC" are appended by the caller).
void append_date(std::string& out, int64_t days, bool& bc) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  bc = y <= 0;
  char b[32];
  std::snprintf(b, sizeof b, "%04lld-%02u-%02u", static_cast<long long>(bc ? 1 - y : y), m, d);
  out += b;
}

// "HH:MM:SS[.ffffff]" of microseconds in a day, trailing zeros of the fraction dropped as PostgreSQL does.
void append_time(std::string& out, int64_t us) {
  char b[32];
  std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld", static_cast<long long>(us / 3600000000),
                static_cast<long long>(us / 60000000 % 60), static_cast<long long>(us / 1000000 % 60));
  out += b;
  if (int64_t frac = us % 1000000) {
    std::snprintf(b, sizeof b, ".%06lld", static_cast<long long>(frac));
    std::string_view f(b);
    while (f.back() == '0') f.remove_suffix(1);
    out += f;
  }
}

// A timestamp of Unix microseconds as to_jsonb shows it ("2020-01-02T03:04:05.5"; an instant in UTC, "+00:00":
// a JSON string keeps no time zone to convert it to).
void append_timestamp(std::string& out, int64_t unix_us, bool utc) {
  int64_t days = unix_us / 86400000000;
  int64_t us = unix_us % 86400000000;
  if (us < 0) {
    us += 86400000000;
    --days;
  }
  out += '"';
  bool bc = false;
  append_date(out, days, bc);
  out += 'T';
  append_time(out, us);
  if (utc) out += "+00:00";
  if (bc) out += " BC";
  out += '"';
}

template <class F>
void append_real(std::string& out, F f) {
  if (std::isnan(f)) {
    out += "\"NaN\"";
  } else if (std::isinf(f)) {
    out += f > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char b[64];
    const auto r = std::to_chars(b, b + sizeof b, f);
    out.append(b, r.ptr);
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
      }
    } else {
      out += ch;
    }
  }
  out += '"';
}

const char* append_json_value(std::string& out, const LeafColumn& leaf, const RawValue& v) {
  const Src s = source_kind(leaf);
  switch (s) {
    case Src::Bool:
      out += v.i ? "true" : "false";
      return nullptr;
    case Src::Int:
    case Src::UInt: {
      const __int128 x = integer_of(leaf, s, v);
      if (x < 0) out += '-';
      out += u128_digits(x < 0 ? -static_cast<unsigned __int128>(x) : static_cast<unsigned __int128>(x));
      return nullptr;
    }
    case Src::Float:
      append_real(out, static_cast<float>(v.r));
      return nullptr;
    case Src::Double:
      append_real(out, v.r);
      return nullptr;
    case Src::String:
    case Src::Json:
      if (!valid_utf8_text(v.b)) return why("invalid byte sequence for encoding \"UTF8\"");
      if (s == Src::Json) {
        static const ColumnType json_type = column_type_for(114, -1);
        if (const char* bad = check_value(json_type, v.b)) return bad;
        out += v.b;
      } else {
        append_json_string(out, v.b);
      }
      return nullptr;
    case Src::Binary: {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\"\\\\x";
      for (const char ch : v.b) {
        out += kHex[static_cast<unsigned char>(ch) >> 4];
        out += kHex[static_cast<unsigned char>(ch) & 15];
      }
      out += '"';
      return nullptr;
    }
    case Src::Uuid: {
      static constexpr char kHex[] = "0123456789abcdef";
      out += '"';
      for (size_t k = 0; k < 16; ++k) {
        if (k == 4 || k == 6 || k == 8 || k == 10) out += '-';
        out += kHex[static_cast<unsigned char>(v.b[k]) >> 4];
        out += kHex[static_cast<unsigned char>(v.b[k]) & 15];
      }
      out += '"';
      return nullptr;
    }
    case Src::Decimal: {
      __int128 unscaled;
      if (!decimal_unscaled(leaf, v, unscaled)) return why("DECIMAL value wider than 128 bits");
      thread_local std::string scratch;
      scratch.clear();
      Converted conv;
      ColumnType t;
      t.type = PgType::Numeric;
      if (const char* bad = append_numeric(scratch, unscaled, leaf.element.scale, t, conv)) return bad;
      out += conv.numeric_text;
      return nullptr;
    }
    case Src::Date: {
      bool bc = false;
      out += '"';
      append_date(out, v.i, bc);
      if (bc) out += " BC";
      out += '"';
      return nullptr;
    }
    case Src::Time: {
      int64_t us;
      if (!to_micros(v.i, leaf.element.unit, us) || us < 0 || us > 86400LL * 1000000) return why("time out of range");
      out += '"';
      append_time(out, us);
      out += '"';
      return nullptr;
    }
    case Src::Timestamp: {
      int64_t us, pg;
      if (!to_micros(v.i, leaf.element.unit, us) || __builtin_sub_overflow(us, kUnixToPgMicros, &pg) ||
          pg < kMinTimestamp || pg >= kEndTimestamp)
        return why("timestamp out of range");
      append_timestamp(out, us, leaf.element.utc);
      return nullptr;
    }
    case Src::Int96: {
      int64_t nanos;
      int32_t jd;
      std::memcpy(&nanos, v.b.data(), 8);
      std::memcpy(&jd, v.b.data() + 8, 4);
      if (nanos < 0 || nanos >= 86400LL * 1000000000) return why("INT96 timestamp has an impossible time of day");
      append_timestamp(out, (static_cast<int64_t>(jd) - 2440588) * 86400LL * 1000000 + nanos_to_micros(nanos), true);
      return nullptr;
    }
    case Src::Unsupported:
      break;
  }
  return why("a Parquet " + parquet_type_name(leaf) + " value has no JSON form in pgload");
}

uint32_t array_element_oid(uint32_t array_oid) noexcept {
  switch (array_oid) {
    case 1000:
      return 16;  // bool
    case 1001:
      return 17;  // bytea
    case 1005:
      return 21;  // int2
    case 1007:
      return 23;  // int4
    case 1016:
      return 20;  // int8
    case 1009:
      return 25;  // text
    case 1014:
      return 1042;  // bpchar
    case 1015:
      return 1043;  // varchar
    case 199:
      return 114;  // json
    case 1021:
      return 700;  // float4
    case 1022:
      return 701;  // float8
    case 1182:
      return 1082;  // date
    case 1183:
      return 1083;  // time
    case 1115:
      return 1114;  // timestamp
    case 1185:
      return 1184;  // timestamptz
    case 1231:
      return 1700;  // numeric
    case 2951:
      return 2950;  // uuid
    case 3807:
      return 3802;  // jsonb
    default:
      return 0;
  }
}

}  // namespace pgload::parquet

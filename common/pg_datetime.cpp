// Date/time input as PostgreSQL 15's datetime.c decodes the ISO forms: field ranges of ValidateDate/DecodeTime,
// date2j for the day number, fractional seconds via strtod and rint (so .0000005 rounds exactly as on the
// server), and the range checks IS_VALID_JULIAN / IS_VALID_DATE / IS_VALID_TIMESTAMP.
#include "common/pg_datetime.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/byte_words.h"

namespace pgload {
namespace {

constexpr int32_t kPostgresEpochJdate = 2451545;  // date2j(2000, 1, 1)
constexpr int64_t kUsecsPerDay = int64_t{86400} * 1000000;
constexpr int64_t kMinTimestamp = -211813488000000000;  // 4714-11-24 BC 00:00
constexpr int64_t kEndTimestamp = 9223371331200000000;  // 294277-01-01 00:00
constexpr int32_t kDateEndJulian = 2147483494;          // 5874898-06-01
constexpr int32_t kTimestampEndJulian = 109203528;      // 294277-01-01
constexpr int kMaxTzDispHour = 15;

inline bool is_space(char ch) noexcept {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}
inline bool is_digit(char ch) noexcept { return ch >= '0' && ch <= '9'; }
inline char lower(char ch) noexcept { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != b[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

int date2j(int y, int m, int d) noexcept {
  if (m > 2) {
    m += 1;
    y += 4800;
  } else {
    m += 13;
    y += 4799;
  }
  const int century = y / 100;
  int julian = y * 365 - 32167;
  julian += y / 4 - century + century / 4;
  julian += 7834 * m / 256 + d;
  return julian;
}

// IS_VALID_JULIAN of datetime.h, on the astronomical year (1 BC = 0).
bool valid_julian(int y, int m) noexcept {
  return (y > -4713 || (y == -4713 && m >= 11)) && (y < 5874898 || (y == 5874898 && m < 6));
}

bool is_leap(int y) noexcept { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int days_in_month(int y, int m) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) noexcept : s_(s) {}
  bool done() const noexcept { return i_ >= s_.size(); }
  char peek() const noexcept { return done() ? '\0' : s_[i_]; }
  bool eat(char ch) noexcept {
    if (peek() != ch) return false;
    ++i_;
    return true;
  }
  // Exactly between min and max digits; false (cursor unmoved) otherwise.
  bool digits(int min, int max, int64_t& out) noexcept {
    size_t j = i_;
    int64_t v = 0;
    while (j < s_.size() && is_digit(s_[j]) && static_cast<int>(j - i_) < max) v = v * 10 + (s_[j++] - '0');
    const int n = static_cast<int>(j - i_);
    if (n < min || (j < s_.size() && is_digit(s_[j]))) return false;
    i_ = j;
    out = v;
    return true;
  }
  void skip_spaces() noexcept {
    while (!done() && is_space(s_[i_])) ++i_;
  }
  std::string_view rest() const noexcept { return s_.substr(i_); }
  size_t pos() const noexcept { return i_; }
  void seek(size_t p) noexcept { i_ = p; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

struct Fields {
  int year = 0, month = 0, day = 0;  // astronomical year after BC is applied
  int hour = 0, minute = 0, second = 0;
  int64_t fsec = 0;
  bool has_time = false;
  bool has_offset = false;
  int32_t offset_secs = 0;  // east of UTC
};

// HH:MM[:SS[.frac]]; the fraction as ParseFractionalSecond: strtod of ".ddd", rint(frac * 1e6).
bool parse_time_fields(Cursor& c, Fields& f) noexcept {
  int64_t h = 0, mi = 0, s = 0;
  if (!c.digits(2, 2, h) || !c.eat(':') || !c.digits(2, 2, mi)) return false;
  if (c.eat(':')) {
    if (!c.digits(2, 2, s)) return false;
    if (c.peek() == '.') {
      c.eat('.');
      char buf[72] = {'0', '.'};
      size_t n = 2;
      while (is_digit(c.peek())) {
        if (n >= sizeof buf) return false;
        buf[n++] = c.peek();
        c.eat(c.peek());
      }
      if (n == 2) return false;
      double frac = 0;
      const auto r = std::from_chars(buf, buf + n, frac);
      if (r.ec != std::errc() || r.ptr != buf + n) return false;
      f.fsec = static_cast<int64_t>(std::rint(frac * 1000000));
    }
  }
  f.hour = static_cast<int>(h);
  f.minute = static_cast<int>(mi);
  f.second = static_cast<int>(s);
  f.has_time = true;
  return true;
}

// DecodeTime's range rule: 24:00:00 is allowed, a leap second 60 too, fsec up to a whole second; and the clock
// may not pass 24:00:00 (the server refuses 23:59:60.5 in date and timestamp input as it does in time_in).
bool time_fields_valid(const Fields& f) noexcept {
  const int64_t usecs = ((int64_t{f.hour} * 60 + f.minute) * 60 + f.second) * 1000000 + f.fsec;
  return f.minute <= 59 && f.second <= 60 && f.hour <= 24 &&
         !(f.hour == 24 && (f.minute > 0 || f.second > 0 || f.fsec > 0)) && f.fsec >= 0 && f.fsec <= 1000000 &&
         usecs <= kUsecsPerDay;
}

// Z | [+-]HH[[:]MM[[:]SS]], as DecodeTimezone.
bool parse_offset(Cursor& c, Fields& f) noexcept {
  if (c.eat('Z') || c.eat('z')) {
    f.has_offset = true;
    f.offset_secs = 0;
    return true;
  }
  const char sign = c.peek();
  if (sign != '+' && sign != '-') return false;
  c.eat(sign);
  int64_t h = 0, mi = 0, s = 0;
  int64_t run = 0;
  const size_t from = c.pos();
  if (!c.digits(1, 6, run)) return false;
  switch (c.pos() - from) {
    case 1:
    case 2:  // +h, +hh, optionally followed by :mm[:ss]
      h = run;
      if (c.eat(':')) {
        if (!c.digits(2, 2, mi)) return false;
        if (c.eat(':') && !c.digits(2, 2, s)) return false;
      }
      break;
    case 4:  // +hhmm
      h = run / 100;
      mi = run % 100;
      break;
    case 6:  // +hhmmss
      h = run / 10000;
      mi = run / 100 % 100;
      s = run % 100;
      break;
    default:
      return false;
  }
  if (h > kMaxTzDispHour || mi > 59 || s > 59) return false;
  const auto secs = static_cast<int32_t>(h * 3600 + mi * 60 + s);
  f.has_offset = true;
  f.offset_secs = sign == '-' ? -secs : secs;
  return true;
}

// The whole ISO grammar after trimming: date [(space+|T) time] [space* offset] [space+ (BC|AD)].
DtParse parse_fields(std::string_view text, Fields& f) noexcept {
  Cursor c(text);
  int64_t y = 0, m = 0, d = 0;
  if (!c.digits(4, 7, y) || !c.eat('-') || !c.digits(1, 2, m) || !c.eat('-') || !c.digits(1, 2, d))
    return DtParse::UnknownForm;
  if (!c.done()) {
    const size_t before = c.pos();
    if (c.eat('T') || c.eat('t') || is_space(c.peek())) {
      c.skip_spaces();
      if (is_digit(c.peek())) {
        if (!parse_time_fields(c, f)) return DtParse::UnknownForm;
      } else {
        c.seek(before);
      }
    }
    if (f.has_time) {
      const size_t at = c.pos();
      c.skip_spaces();
      if (!parse_offset(c, f)) c.seek(at);
    }
  }
  bool bc = false;
  if (!c.done()) {
    const size_t at = c.pos();
    c.skip_spaces();
    if (c.pos() == at) return DtParse::UnknownForm;
    const std::string_view era = c.rest();
    if (iequals(era, "bc")) {
      bc = true;
    } else if (!iequals(era, "ad")) {
      return DtParse::UnknownForm;
    }
  }
  if (y == 0 || m < 1 || m > 12) return DtParse::OutOfRange;
  f.year = bc ? static_cast<int>(1 - y) : static_cast<int>(y);
  f.month = static_cast<int>(m);
  if (d < 1 || d > days_in_month(f.year, f.month)) return DtParse::OutOfRange;
  f.day = static_cast<int>(d);
  if (f.has_time && !time_fields_valid(f)) return DtParse::OutOfRange;
  if (!valid_julian(f.year, f.month)) return DtParse::OutOfRange;
  return DtParse::Ok;
}

constexpr uint64_t form_word(const char (&s)[9]) noexcept {
  uint64_t w = 0;
  for (int i = 7; i >= 0; --i) w = w << 8 | static_cast<unsigned char>(s[i]);
  return w;
}

// The form most files hold, "YYYY-MM-DD HH:MM:SS" (or with a T), with every field in its ordinary range, read at
// fixed places; false for anything else, which parse_fields then decodes (leap seconds, 24:00:00, BC, zones).
[[gnu::always_inline]] inline bool canonical_timestamp(std::string_view t, Fields& f) noexcept {
  if (t.size() != 19) return false;
  // Three overlapping words, "YYYY-MM-", "DD HH:MM" and "HH:MM:SS", XORed with the form: a digit becomes its value
  // and a separator 0, while any other byte becomes a byte above 9, or a nonzero one where a separator belongs.
  const uint64_t t_instead_of_space = t[10] == 'T' ? uint64_t{'T' ^ ' '} << 16 : 0;
  const uint64_t a = load_le64(t.data()) ^ form_word("0000-00-");
  const uint64_t b = load_le64(t.data() + 8) ^ form_word("00 00:00") ^ t_instead_of_space;
  const uint64_t c = load_le64(t.data() + 11) ^ form_word("00:00:00");
  constexpr uint64_t kSepA = 0xFF0000FF00000000, kSepBC = 0x0000FF0000FF0000;  // bytes 4 and 7; 2 and 5
  if ((bytes_above_9(a) | bytes_above_9(b) | bytes_above_9(c) | (a & kSepA) | ((b | c) & kSepBC)) != 0) return false;
  // Byte i of w * 10 + (w >> 8) is the two-digit number at i (at most 99: no carry into the next byte).
  const uint64_t pa = a * 10 + (a >> 8), pb = b * 10 + (b >> 8), pc = c * 10 + (c >> 8);
  const auto at = [](uint64_t w, int i) { return static_cast<int>((w >> (8 * i)) & 0xFF); };
  const int year = at(pa, 0) * 100 + at(pa, 2), month = at(pa, 5), day = at(pb, 0);
  const int hour = at(pc, 0), minute = at(pc, 3), second = at(pc, 6);
  if (year == 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 59)
    return false;
  f.year = year;
  f.month = month;
  f.day = day;
  f.hour = hour;
  f.minute = minute;
  f.second = second;
  f.has_time = true;
  return true;
}

// The words date and timestamp both take for their special values, in any case, as the server does.
enum class SpecialWord : uint8_t { None, Infinity, MinusInfinity, Epoch };
SpecialWord special_word(std::string_view t) noexcept {
  if (iequals(t, "infinity")) return SpecialWord::Infinity;
  if (iequals(t, "-infinity")) return SpecialWord::MinusInfinity;
  if (iequals(t, "epoch")) return SpecialWord::Epoch;
  return SpecialWord::None;
}

}  // namespace

DtParse parse_pg_date(std::string_view text, int32_t& days_out) noexcept {
  const std::string_view t = trim(text);
  switch (special_word(t)) {
    case SpecialWord::Infinity:
      days_out = std::numeric_limits<int32_t>::max();
      return DtParse::Ok;
    case SpecialWord::MinusInfinity:
      days_out = std::numeric_limits<int32_t>::min();
      return DtParse::Ok;
    case SpecialWord::Epoch:
      days_out = date2j(1970, 1, 1) - kPostgresEpochJdate;
      return DtParse::Ok;
    case SpecialWord::None:
      break;
  }
  Fields f;
  const DtParse r = parse_fields(t, f);
  if (r != DtParse::Ok) return r;
  const int julian = date2j(f.year, f.month, f.day);
  if (julian < 0 || julian >= kDateEndJulian) return DtParse::OutOfRange;
  days_out = julian - kPostgresEpochJdate;
  return DtParse::Ok;
}

DtParse parse_pg_time(std::string_view text, int64_t& usecs_out) noexcept {
  Cursor c(trim(text));
  Fields f;
  if (!parse_time_fields(c, f) || !c.done()) return DtParse::UnknownForm;
  if (!time_fields_valid(f)) return DtParse::OutOfRange;
  const int64_t t = ((int64_t{f.hour} * 60 + f.minute) * 60 + f.second) * 1000000 + f.fsec;
  if (t > kUsecsPerDay) return DtParse::OutOfRange;
  usecs_out = t;
  return DtParse::Ok;
}

DtParse parse_pg_timestamp(std::string_view text, bool with_tz, std::optional<int32_t> default_offset_secs,
                           int64_t& usecs_out) noexcept {
  std::string_view t = text;
  Fields f;
  // The canonical form first, untrimmed: it is what nearly every file holds, and the special words cannot match it.
  if (!canonical_timestamp(t, f) && !canonical_timestamp(t = trim(text), f)) {
    switch (special_word(t)) {
      case SpecialWord::Infinity:
        usecs_out = std::numeric_limits<int64_t>::max();
        return DtParse::Ok;
      case SpecialWord::MinusInfinity:
        usecs_out = std::numeric_limits<int64_t>::min();
        return DtParse::Ok;
      case SpecialWord::Epoch:
        usecs_out = int64_t{date2j(1970, 1, 1) - kPostgresEpochJdate} * kUsecsPerDay;
        return DtParse::Ok;
      case SpecialWord::None:
        break;
    }
    const DtParse r = parse_fields(t, f);
    if (r != DtParse::Ok) return r;
  }
  const int julian = date2j(f.year, f.month, f.day);
  if (julian < 0 || julian >= kTimestampEndJulian) return DtParse::OutOfRange;
  const int64_t date = julian - kPostgresEpochJdate;
  const int64_t time = ((int64_t{f.hour} * 60 + f.minute) * 60 + f.second) * 1000000 + f.fsec;
  // No overflow: the julian day is below 294277-01-01, so date * usecs-per-day stays inside int64.
  int64_t result = date * kUsecsPerDay + time;
  if (with_tz) {
    int32_t offset = 0;
    if (f.has_offset) {
      offset = f.offset_secs;
    } else if (default_offset_secs) {
      offset = *default_offset_secs;
    } else {
      return DtParse::UnknownForm;
    }
    result -= int64_t{offset} * 1000000;
  }
  if (result < kMinTimestamp || result >= kEndTimestamp) return DtParse::OutOfRange;
  usecs_out = result;
  return DtParse::Ok;
}

DtParse parse_pg_timetz(std::string_view text, std::optional<int32_t> default_offset_secs, int64_t& usecs_out,
                        int32_t& zone_out) noexcept {
  Cursor c(trim(text));
  Fields f;
  if (!parse_time_fields(c, f)) return DtParse::UnknownForm;
  c.skip_spaces();
  if (!c.done() && (!parse_offset(c, f) || !c.done())) return DtParse::UnknownForm;
  if (!f.has_offset && !default_offset_secs) return DtParse::UnknownForm;
  if (!time_fields_valid(f)) return DtParse::OutOfRange;
  usecs_out = ((int64_t{f.hour} * 60 + f.minute) * 60 + f.second) * 1000000 + f.fsec;
  zone_out = -(f.has_offset ? f.offset_secs : *default_offset_secs);
  return DtParse::Ok;
}

DtParse parse_pg_interval(std::string_view text, int32_t& months_out, int32_t& days_out, int64_t& usecs_out) noexcept {
  // Counts are bounded so that no sum below can overflow; larger ones are left to the server.
  constexpr int64_t kMaxCount = 100000000;
  Cursor c(trim(text));
  int64_t months = 0, days = 0, usecs = 0;
  unsigned seen = 0;  // one bit per unit: a unit given twice is the server's error
  bool any = false;
  // Under IntervalStyle sql_standard a leading '-' negates every later field without a sign of its own; under the
  // other styles it does not. Such a text depends on the session: left to the server.
  bool first_negative = false;
  while (!c.done()) {
    if (any) {
      const size_t at = c.pos();
      c.skip_spaces();
      if (c.pos() == at) return DtParse::UnknownForm;
    }
    const size_t start = c.pos();
    bool negative = false;
    bool signed_field = true;
    if (c.eat('-'))
      negative = true;
    else
      signed_field = c.eat('+');
    if (!any)
      first_negative = negative;
    else if (first_negative && !signed_field)
      return DtParse::UnknownForm;
    int64_t n = 0;
    if (!c.digits(1, 9, n)) return DtParse::UnknownForm;
    if (c.peek() == ':') {  // the time part: last
      c.seek(start);
      if (!c.eat('-')) c.eat('+');
      int64_t h = 0, mi = 0, s = 0;
      if (!c.digits(1, 9, h) || !c.eat(':') || !c.digits(2, 2, mi)) return DtParse::UnknownForm;
      int64_t fsec = 0;
      if (c.eat(':')) {
        if (!c.digits(2, 2, s)) return DtParse::UnknownForm;
        if (c.peek() == '.') {
          // The fraction as parse_time_fields reads it: strtod of ".ddd", rint to microseconds.
          c.eat('.');
          char buf[72] = {'0', '.'};
          size_t k = 2;
          while (is_digit(c.peek())) {
            if (k >= sizeof buf) return DtParse::UnknownForm;
            buf[k++] = c.peek();
            c.eat(c.peek());
          }
          double value = 0;
          const auto r = std::from_chars(buf, buf + k, value);
          if (k == 2 || r.ec != std::errc()) return DtParse::UnknownForm;
          fsec = static_cast<int64_t>(std::rint(value * 1000000));
        }
      }
      if (!c.done() || (seen & 0x38) != 0 || mi > 59 || s > 59) return DtParse::UnknownForm;
      const int64_t t = ((h * 60 + mi) * 60 + s) * 1000000 + fsec;
      usecs += negative ? -t : t;
      any = true;
      break;
    }
    const size_t before_unit = c.pos();
    c.skip_spaces();
    if (c.pos() == before_unit) return DtParse::UnknownForm;  // "1day": left to the server
    const std::string_view rest = c.rest();
    size_t letters = 0;
    while (letters < rest.size() &&
           ((rest[letters] >= 'a' && rest[letters] <= 'z') || (rest[letters] >= 'A' && rest[letters] <= 'Z')))
      ++letters;
    const std::string_view unit = rest.substr(0, letters);
    c.seek(c.pos() + letters);
    if (n > kMaxCount) return DtParse::UnknownForm;
    if (negative) n = -n;
    unsigned bit = 0;
    if (iequals(unit, "year") || iequals(unit, "years")) {
      bit = 0x01;
      months += n * 12;
    } else if (iequals(unit, "mon") || iequals(unit, "mons") || iequals(unit, "month") || iequals(unit, "months")) {
      bit = 0x02;
      months += n;
    } else if (iequals(unit, "day") || iequals(unit, "days")) {
      bit = 0x04;
      days += n;
    } else if (iequals(unit, "hour") || iequals(unit, "hours")) {
      bit = 0x08;
      usecs += n * 3600 * 1000000;
    } else if (iequals(unit, "min") || iequals(unit, "mins") || iequals(unit, "minute") || iequals(unit, "minutes")) {
      bit = 0x10;
      usecs += n * 60 * 1000000;
    } else if (iequals(unit, "sec") || iequals(unit, "secs") || iequals(unit, "second") || iequals(unit, "seconds")) {
      bit = 0x20;
      usecs += n * 1000000;
    } else {
      return DtParse::UnknownForm;
    }
    if (seen & bit) return DtParse::UnknownForm;
    seen |= bit;
    any = true;
  }
  if (!any || months > INT32_MAX || months < INT32_MIN || days > INT32_MAX || days < INT32_MIN)
    return DtParse::UnknownForm;
  months_out = static_cast<int32_t>(months);
  days_out = static_cast<int32_t>(days);
  usecs_out = usecs;
  return DtParse::Ok;
}

std::optional<int32_t> fixed_offset_of_time_zone(std::string_view tz) noexcept {
  for (std::string_view utc : {"utc", "gmt", "etc/utc", "etc/gmt", "uct", "etc/uct", "universal", "etc/universal",
                               "zulu", "etc/zulu", "gmt0", "etc/gmt0", "greenwich", "etc/greenwich"})
    if (iequals(tz, utc)) return 0;
  return std::nullopt;
}

}  // namespace pgload

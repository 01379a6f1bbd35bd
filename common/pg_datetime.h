// PostgreSQL 15's date/time input functions (date_in, time_in, timestamp_in, timestamptz_in) for the ISO 8601
// forms, giving the internal values the server stores and hashes: days or microseconds since 2000-01-01.
// Forms outside the ISO subset ('Jan 8 1999', 'now', SQL/German styles, time zone names) are reported as such,
// never guessed. Hot path: noexcept, no allocation, no locale.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgload {

enum class DtParse : uint8_t {
  Ok,
  OutOfRange,   // an ISO form whose fields the server rejects (month 13, year past the type's range ...)
  UnknownForm,  // not a form parsed here; the server may or may not accept it
};

// date_in: [ws] (YYYY-M[M]-D[D] [time [offset]] [BC|AD] | infinity | -infinity | epoch) [ws]; a time part is
// checked and dropped as the server does. days_out = days since 2000-01-01 (INT32_MIN/MAX for -/+infinity).
DtParse parse_pg_date(std::string_view text, int32_t& days_out) noexcept;
// time_in: [ws] HH:MM[:SS[.frac]] [ws]. usecs_out = microseconds since midnight.
DtParse parse_pg_time(std::string_view text, int64_t& usecs_out) noexcept;
// timestamp_in (with_tz false: an offset in the text is ignored, as the server ignores it) and timestamptz_in
// (the offset is applied; a text without one is read at default_offset_secs east of UTC, UnknownForm without
// one). usecs_out = microseconds since 2000-01-01 00:00 (UTC for timestamptz), INT64_MIN/MAX for infinities.
DtParse parse_pg_timestamp(std::string_view text, bool with_tz, std::optional<int32_t> default_offset_secs,
                           int64_t& usecs_out) noexcept;

// timetz_in: [ws] HH:MM[:SS[.frac]] [ws] [offset] [ws]; a text without an offset is read at default_offset_secs
// east of UTC (UnknownForm without one). usecs_out = microseconds since midnight; zone_out = seconds WEST of UTC,
// as timetz stores it.
DtParse parse_pg_timetz(std::string_view text, std::optional<int32_t> default_offset_secs, int64_t& usecs_out,
                        int32_t& zone_out) noexcept;

// interval_in (IntervalStyle postgres) for the forms interval_out prints and their plain variants: space-separated
// "[+-]N unit" with integer N (year, mon/month, day, hour, min/minute, sec/second, singular or plural, each unit
// once), then optionally one "[+-]H+:MM[:SS[.frac]]". Anything else (ISO 8601 "P1D", "@ ... ago", fractions of
// units, SQL-standard forms, a leading '-' before unsigned fields, whose meaning depends on IntervalStyle) is
// UnknownForm. The out values are interval's fields: months, days, microseconds.
DtParse parse_pg_interval(std::string_view text, int32_t& months_out, int32_t& days_out, int64_t& usecs_out) noexcept;

// The fixed UTC offset of a TimeZone setting when it is exactly known without the tz database (UTC, GMT and
// their aliases); nullopt for a zone with rules (Europe/Berlin) or an unknown name.
std::optional<int32_t> fixed_offset_of_time_zone(std::string_view time_zone) noexcept;

}  // namespace pgload

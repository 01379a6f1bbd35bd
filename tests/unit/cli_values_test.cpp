// The value parsers both tools share (common/): integers, sizes, rates, durations, endpoints and --node-conninfo,
// with their edges: overflow, negative, empty, whitespace, units, IPv6.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "common/byte_size.h"
#include "common/catalog.h"
#include "common/duration.h"
#include "common/endpoint.h"
#include "common/integer.h"

namespace pgload {
namespace {

TEST(CliValues, Integers) {
  EXPECT_EQ(parse_int64("0"), 0);
  EXPECT_EQ(parse_int64("42"), 42);
  EXPECT_EQ(parse_int64("-7"), -7);
  EXPECT_EQ(parse_int64("+7"), 7);
  EXPECT_EQ(parse_int64(" 12\t"), 12) << "whitespace around the value, as PostgreSQL's parse_int";
  EXPECT_EQ(parse_int64("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parse_int64("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  for (const char* bad : {"", " ", "-", "+", "+-1", "--1", "9223372036854775808", "-9223372036854775809", "1 2", "1e3",
                          "0x10", "1.0", "12abc", "abc"})
    EXPECT_FALSE(parse_int64(bad)) << bad;
}

TEST(CliValues, SizesArePostgresMemoryUnits) {
  EXPECT_EQ(parse_size_bytes("16MB"), int64_t{16} << 20) << "powers of 1024, as in postgresql.conf";
  EXPECT_EQ(parse_size_bytes("1kB"), 1024);
  EXPECT_EQ(parse_size_bytes("1GB"), int64_t{1} << 30);
  EXPECT_EQ(parse_size_bytes("2TB"), int64_t{2} << 40);
  EXPECT_EQ(parse_size_bytes("100B"), 100);
  EXPECT_EQ(parse_size_bytes("4096"), 4096) << "a bare number is bytes";
  EXPECT_EQ(parse_size_bytes("0"), 0);
  EXPECT_EQ(parse_size_bytes(" 256 MB "), int64_t{256} << 20) << "whitespace around and between";
  EXPECT_EQ(parse_size_bytes("8388607TB"), int64_t{8388607} << 40) << "the largest that fits";
  for (const char* bad : {"", " ", "MB", "16mb", "16kb", "16KB", "16 XB", "16MiB", "-1MB", "+1MB", "1.5GB", "8388608TB",
                          "9223372036854775808", "0x10", "16M B", "16MBs"})
    EXPECT_FALSE(parse_size_bytes(bad)) << bad;
}

TEST(CliValues, SizesAreWrittenBackInTheLargestUnitRoundedUp) {
  EXPECT_EQ(format_size_bytes(900), "900B");
  EXPECT_EQ(format_size_bytes(64 << 10), "64kB");
  EXPECT_EQ((format_size_bytes((uint64_t{163} << 20) - 5)), "163MB") << "rounded up: a suggested minimum must suffice";
  EXPECT_EQ(format_size_bytes(uint64_t{512} << 20), "512MB") << "512MB, not 0GB";
  EXPECT_EQ(format_size_bytes(uint64_t{12} << 30), "12GB");
  for (uint64_t b : {uint64_t{1}, uint64_t{10240}, uint64_t{5000000}, uint64_t{3} << 40})
    EXPECT_GE(static_cast<uint64_t>(*parse_size_bytes(format_size_bytes(b))), b) << "parse_size_bytes takes it back";
}

TEST(CliValues, RatesTakeSizesPerSecond) {
  const double mib = 1024.0 * 1024;
  EXPECT_EQ(parse_rate_bytes_per_s("16MB/s"), 16 * mib) << "16MB is 16 MiB in both tools";
  EXPECT_EQ(parse_rate_bytes_per_s("16MB"), 16 * mib) << "/s is optional";
  EXPECT_EQ(parse_rate_bytes_per_s("16MiB/s"), 16 * mib);
  EXPECT_EQ(parse_rate_bytes_per_s("16mb/S"), 16 * mib) << "any case, as pgmove always took";
  EXPECT_EQ(parse_rate_bytes_per_s("16m"), 16 * mib);
  EXPECT_EQ(parse_rate_bytes_per_s("500kB/s"), 500.0 * 1024);
  EXPECT_EQ(parse_rate_bytes_per_s("500k"), 500.0 * 1024);
  EXPECT_EQ(parse_rate_bytes_per_s("2GB/s"), 2.0 * 1024 * mib);
  EXPECT_EQ(parse_rate_bytes_per_s("1TB"), 1024.0 * 1024 * mib);
  EXPECT_EQ(parse_rate_bytes_per_s("1.5MB/s"), 1.5 * mib);
  EXPECT_EQ(parse_rate_bytes_per_s("1048576"), 1048576.0);
  EXPECT_EQ(parse_rate_bytes_per_s("10B/s"), 10.0);
  EXPECT_EQ(parse_rate_bytes_per_s(" 5 MB/s "), 5 * mib);
  EXPECT_EQ(parse_rate_bytes_per_s("-5MB/s"), -5 * mib) << "read, so that --max-rate can say it must be positive";
  EXPECT_EQ(parse_rate_bytes_per_s("0"), 0.0);
  for (const char* bad : {"", " ", "/s", "fast", "MB/s", "50XB/s", "0x10MB", "inf", "-inf", "nan", "1e400", "1e19",
                          "8388608TB", "5 M B", "5MB/h", "5MB//s"})
    EXPECT_FALSE(parse_rate_bytes_per_s(bad)) << bad;
}

TEST(CliValues, DurationsArePostgresTimeUnits) {
  EXPECT_EQ(parse_duration_ms("500ms"), 500);
  EXPECT_EQ(parse_duration_ms("30s"), 30000);
  EXPECT_EQ(parse_duration_ms("5min"), 300000);
  EXPECT_EQ(parse_duration_ms("2h"), 7200000);
  EXPECT_EQ(parse_duration_ms("1d"), 86400000);
  EXPECT_EQ(parse_duration_ms("250"), 250) << "a bare number is milliseconds, as for lock_timeout";
  EXPECT_EQ(parse_duration_ms(" 1.5 s "), 1500);
  for (const char* bad : {"", " ", "s", "-1s", "soon", "5m", "5 mins", "0x10", "25d", "inf"})
    EXPECT_FALSE(parse_duration_ms(bad)) << bad;
}

TEST(CliValues, Endpoints) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:9701"), (Endpoint{"127.0.0.1", 9701}));
  EXPECT_EQ(parse_endpoint("db-1.example:5432"), (Endpoint{"db-1.example", 5432}));
  EXPECT_EQ(parse_endpoint("[::1]:5432"), (Endpoint{"::1", 5432}));
  EXPECT_EQ(parse_endpoint("[fe80::1%eth0]:5432"), (Endpoint{"fe80::1%eth0", 5432}));
  EXPECT_EQ(parse_endpoint("::1:5432"), (Endpoint{"::1", 5432})) << "as Node::endpoint() prints an IPv6 node";
  EXPECT_EQ(parse_endpoint("h:65535"), (Endpoint{"h", 65535}));
  for (const char* bad : {"",           "host",           "host:",    ":5432",      "host:0",    "host:65536",
                          "host:70000", "host:-1",        "host:+80", "host:80x",   "host: 80",  " host:80",
                          "host:80 ",   "ho st:80",       "[::1]",    "[::1]:",     "[::1]5432", "[::1:5432",
                          "::1]:5432",  "[127.0.0.1]:80", "[]:80",    "host:999999"})
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
  EXPECT_EQ(format_endpoint({"::1", 5432}), "[::1]:5432");
  EXPECT_EQ(format_endpoint({"127.0.0.1", 8080}), "127.0.0.1:8080");
  EXPECT_EQ(parse_endpoint(format_endpoint({"fe80::2", 1})), (Endpoint{"fe80::2", 1}));
}

TEST(CliValues, NodeConninfoOverride) {
  EXPECT_EQ(parse_node_conninfo("10.0.0.5:5432=host=db port=6432"),
            (std::pair<std::string, std::string>{"10.0.0.5:5432", "host=db port=6432"}));
  EXPECT_EQ(parse_node_conninfo("[::1]:9701=sslmode=require"),
            (std::pair<std::string, std::string>{"::1:9701", "sslmode=require"}))
      << "keyed as the catalog's Node::endpoint()";
  EXPECT_EQ(parse_node_conninfo("h:1="), (std::pair<std::string, std::string>{"h:1", ""}));
  for (const char* bad : {"", "=x", "h=x", "h:0=x", "h:x=y", "no-port=host=x", "h:1"})
    EXPECT_THROW(parse_node_conninfo(bad), std::invalid_argument) << bad;
  try {
    parse_node_conninfo("bad=password=sekrit");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("sekrit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pgload

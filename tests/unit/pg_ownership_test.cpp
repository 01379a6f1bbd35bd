// PgConn and PgResult are single owners of their libpq handles (a PGconn is one session and not thread-safe), and
// connection errors name where they were going even when libpq gave up before it knew a host.
#include "common/pg.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

namespace pgload {
namespace {

TEST(PgOwnership, ConnIsMoveOnly) {
  EXPECT_FALSE(std::is_copy_constructible_v<PgConn>);
  EXPECT_FALSE(std::is_copy_assignable_v<PgConn>);
  EXPECT_TRUE(std::is_nothrow_move_constructible_v<PgConn>);
  EXPECT_TRUE(std::is_nothrow_move_assignable_v<PgConn>);
}

TEST(PgOwnership, ResultIsMoveOnly) {
  EXPECT_FALSE(std::is_copy_constructible_v<PgResult>);
  EXPECT_FALSE(std::is_copy_assignable_v<PgResult>);
  EXPECT_TRUE(std::is_nothrow_move_constructible_v<PgResult>);
}

TEST(PgOwnership, MovedFromConnIsEmpty) {
  PgConn a;
  PgConn b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
  EXPECT_FALSE(b);
}

TEST(ConninfoEndpoint, FromKeywordsAndUris) {
  EXPECT_EQ(conninfo_endpoint("host=db1 port=6000 dbname=x"), "db1:6000");
  EXPECT_EQ(conninfo_endpoint("host=db1"), "db1:5432");
  EXPECT_EQ(conninfo_endpoint("hostaddr=10.0.0.7 port=7"), "10.0.0.7:7");
  EXPECT_EQ(conninfo_endpoint("postgresql://h2:7000/db"), "h2:7000");
}

TEST(ConninfoEndpoint, NoHostFallsBackToLibpqDefaults) {
  EXPECT_EQ(conninfo_endpoint(""), "libpq defaults");
  EXPECT_EQ(conninfo_endpoint("dbname=x"), "libpq defaults");
  EXPECT_EQ(conninfo_endpoint("garbage=1"), "libpq defaults");  // unparsable: an unknown keyword
  EXPECT_EQ(conninfo_endpoint("port=6000"), "libpq default host, port 6000");
  EXPECT_EQ(PgConn().endpoint(), "libpq defaults");
}

// `--coordinator garbage=1` used to print "cannot connect: ... [:]".
TEST(ConninfoEndpoint, BadConninfoErrorHasNoEmptyEndpoint) {
  try {
    (void)PgConn::connect("garbage=1");
    FAIL() << "connect accepted an unknown keyword";
  } catch (const PgError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find("[:]"), std::string::npos) << what;
    EXPECT_NE(what.find("garbage"), std::string::npos) << what;
    EXPECT_EQ(e.endpoint(), "libpq defaults");
  }
}

TEST(ConninfoEndpoint, RefusedConnectionNamesHostAndPort) {
  try {
    (void)PgConn::connect("host=127.0.0.1 port=1 connect_timeout=2");
    FAIL() << "something listens on 127.0.0.1:1";
  } catch (const PgError& e) {
    EXPECT_EQ(e.endpoint(), "127.0.0.1:1") << e.what();
  }
}

}  // namespace
}  // namespace pgload

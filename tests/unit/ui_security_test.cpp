// The pgmove ui access rules: token comparison, Bearer parsing, Host (DNS rebinding) and Origin checks.
#include "mover/ui/ui_security.h"

#include <gtest/gtest.h>

#include <set>

namespace pgload {
namespace {

TEST(UiSecurity, RandomTokensAreLongAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto t = random_ui_token();
    EXPECT_EQ(t.size(), 32u);
    EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(UiSecurity, TokenMustMatchExactly) {
  EXPECT_TRUE(ui_token_matches("secret-token", "secret-token"));
  EXPECT_FALSE(ui_token_matches("secret-toke", "secret-token"));
  EXPECT_FALSE(ui_token_matches("secret-token!", "secret-token"));
  EXPECT_FALSE(ui_token_matches("", "secret-token"));
  EXPECT_FALSE(ui_token_matches("", "")) << "an empty expected token never matches";
}

TEST(UiSecurity, BearerHeader) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_token(""), std::nullopt);
}

TEST(UiSecurity, HostHeaderNamesThisServer) {
  const Endpoint loopback{"127.0.0.1", 8080};
  EXPECT_TRUE(ui_host_allowed("127.0.0.1:8080", loopback));
  EXPECT_TRUE(ui_host_allowed("localhost:8080", loopback));
  EXPECT_TRUE(ui_host_allowed("[::1]:8080", loopback));
  EXPECT_FALSE(ui_host_allowed("127.0.0.1:8081", loopback));
  EXPECT_FALSE(ui_host_allowed("evil.example:8080", loopback)) << "DNS rebinding";
  EXPECT_FALSE(ui_host_allowed("127.0.0.1", loopback));
  EXPECT_FALSE(ui_host_allowed("", loopback));
  const Endpoint lan{"10.0.0.5", 8080};
  EXPECT_TRUE(ui_host_allowed("10.0.0.5:8080", lan));
  EXPECT_TRUE(ui_host_allowed("localhost:8080", lan)) << "a loopback name cannot be rebound to another site";
  EXPECT_FALSE(ui_host_allowed("10.0.0.6:8080", lan));
  EXPECT_FALSE(ui_host_allowed("db-admin.internal:8080", lan));
  EXPECT_TRUE(ui_host_allowed("DB-Admin.Internal:8080", lan, {"db-admin.internal"})) << "names are case-insensitive";
}

// With --listen 0.0.0.0 any name reached the page: a page of another site could rebind its own name to us.
TEST(UiSecurity, ListeningOnEveryAddressStillChecksTheName) {
  const Endpoint any{"0.0.0.0", 9000};
  EXPECT_FALSE(ui_host_allowed("db-admin.internal:9000", any)) << "DNS rebinding";
  EXPECT_FALSE(ui_host_allowed("evil.example:9000", any));
  EXPECT_TRUE(ui_host_allowed("db-admin.internal:9000", any, {"db-admin.internal", "other"}));
  EXPECT_FALSE(ui_host_allowed("db-admin.internal:9001", any, {"db-admin.internal"})) << "the port must be ours";
  EXPECT_TRUE(ui_host_allowed("localhost:9000", any));
  EXPECT_TRUE(ui_host_allowed("127.0.0.1:9000", any));
  EXPECT_TRUE(ui_host_allowed("[::1]:9000", any));
  EXPECT_TRUE(ui_host_allowed("10.1.2.3:9000", any)) << "an address literal is not a name that can be rebound";
  EXPECT_TRUE(ui_host_allowed("[fe80::1]:9000", any));
  EXPECT_FALSE(ui_host_allowed("10.1.2.3.evil.example:9000", any));
  EXPECT_FALSE(ui_host_allowed("", any));
  EXPECT_FALSE(ui_host_allowed(":9000", any));
  const Endpoint v6_any{"::", 9000};
  EXPECT_FALSE(ui_host_allowed("evil.example:9000", v6_any));
  EXPECT_TRUE(ui_host_allowed("[::1]:9000", v6_any));
}

TEST(UiSecurity, HostWithoutPortMeansPort80) {
  const Endpoint http{"127.0.0.1", 80};
  EXPECT_TRUE(ui_host_allowed("localhost", http));
  EXPECT_TRUE(ui_host_allowed("[::1]", http));
  EXPECT_FALSE(ui_host_allowed("localhost", Endpoint{"127.0.0.1", 8080}));
}

TEST(UiSecurity, OriginMustBeThePageItself) {
  EXPECT_TRUE(ui_origin_allowed("", "", "127.0.0.1:8080")) << "curl and scripts send no Origin";
  EXPECT_TRUE(ui_origin_allowed("http://127.0.0.1:8080", "same-origin", "127.0.0.1:8080"));
  EXPECT_FALSE(ui_origin_allowed("http://evil.example", "", "127.0.0.1:8080"));
  EXPECT_FALSE(ui_origin_allowed("http://localhost:8080", "", "127.0.0.1:8080"));
  EXPECT_FALSE(ui_origin_allowed("null", "", "127.0.0.1:8080"));
  EXPECT_FALSE(ui_origin_allowed("", "cross-site", "127.0.0.1:8080"));
  EXPECT_FALSE(ui_origin_allowed("", "same-site", "127.0.0.1:8080"));
}

}  // namespace
}  // namespace pgload

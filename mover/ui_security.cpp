// UI access checks; the token comparison touches every byte so its timing does not leak a prefix.
#include "mover/ui_security.h"

#include <array>
#include <random>

namespace pgload {

namespace {
bool is_loopback(std::string_view host) { return host == "localhost" || host == "::1" || host.substr(0, 4) == "127."; }
bool is_wildcard(std::string_view host) { return host == "0.0.0.0" || host == "::" || host.empty(); }
}  // namespace

std::string random_ui_token() {
  std::random_device rd;  // /dev/urandom on Linux
  constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  for (int i = 0; i < 8; ++i) {
    uint32_t word = rd();
    for (int nibble = 0; nibble < 4; ++nibble, word >>= 4) out += kHex[word & 0xf];
  }
  return out;
}

bool ui_token_matches(std::string_view given, std::string_view expected) noexcept {
  if (expected.empty()) return false;
  unsigned diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i]) ^ static_cast<unsigned char>(i < given.size() ? given[i] : 0);
  return diff == 0;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.size() <= kPrefix.size() || authorization.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return std::string(authorization.substr(kPrefix.size()));
}

bool ui_host_allowed(std::string_view host_header, const Endpoint& listen) {
  auto ep = parse_endpoint(host_header);
  if (!ep || ep->second != listen.second) return false;
  if (is_wildcard(listen.first)) return true;
  if (ep->first == listen.first) return true;
  return is_loopback(listen.first) && is_loopback(ep->first);
}

bool ui_origin_allowed(std::string_view origin, std::string_view sec_fetch_site, std::string_view host_header) {
  if (!sec_fetch_site.empty() && sec_fetch_site != "same-origin" && sec_fetch_site != "none") return false;
  if (origin.empty()) return true;
  return origin == "http://" + std::string(host_header);
}

}  // namespace pgload

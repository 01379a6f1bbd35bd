// UI access checks; the token comparison touches every byte so its timing does not leak a prefix.
#include "mover/ui/ui_security.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cctype>
#include <random>

namespace pgload {

namespace {

bool is_wildcard(std::string_view host) { return host == "0.0.0.0" || host == "::" || host.empty(); }

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool is_ip_literal(const std::string& host) {
  in6_addr buf{};  // big enough for either family
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 || inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

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

bool ui_host_allowed(std::string_view host_header, const Endpoint& listen,
                     const std::vector<std::string>& allowed_hosts) {
  if (host_header.empty()) return false;
  std::optional<Endpoint> ep;
  if (host_header.find(':') == std::string_view::npos || (host_header.front() == '[' && host_header.back() == ']'))
    ep = parse_endpoint(std::string(host_header) + ":80");  // a browser leaves out the default port
  else
    ep = parse_endpoint(host_header);
  if (!ep || ep->second != listen.second) return false;
  const std::string& host = ep->first;
  for (std::string_view name : {"localhost", "127.0.0.1", "::1"})
    if (same_name(host, name)) return true;
  if (!is_wildcard(listen.first) && same_name(host, listen.first)) return true;
  for (const auto& name : allowed_hosts)
    if (same_name(host, name)) return true;
  return is_wildcard(listen.first) && is_ip_literal(host);
}

bool ui_origin_allowed(std::string_view origin, std::string_view sec_fetch_site, std::string_view host_header) {
  if (!sec_fetch_site.empty() && sec_fetch_site != "same-origin" && sec_fetch_site != "none") return false;
  if (origin.empty()) return true;
  return origin == "http://" + std::string(host_header);
}

}  // namespace pgload

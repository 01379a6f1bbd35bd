// The last colon splits host from port unless the host is bracketed; brackets are only taken as a whole.
#include "common/endpoint.h"

namespace pgload {

namespace {

std::optional<int> port_of(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

bool plain_host(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host)
    if (c == '[' || c == ']' || c == '/' || c == '@' || static_cast<unsigned char>(c) <= ' ') return false;
  return true;
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return std::nullopt;  // brackets are for IPv6 only
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto number = port_of(port);
  if (!number || !plain_host(host)) return std::nullopt;
  return Endpoint{std::string(host), *number};
}

std::string format_endpoint(const Endpoint& endpoint) {
  const bool v6 = endpoint.first.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.first + "]" : endpoint.first) + ":" + std::to_string(endpoint.second);
}

}  // namespace pgload

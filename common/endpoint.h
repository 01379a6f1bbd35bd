// host:port endpoints as both tools and the page take them (--to, --drain, --listen, add-node, the Host header,
// the endpoints pgload records for recovery): one parser, so "[::1]:5432" works everywhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pgload {

using Endpoint = std::pair<std::string, int>;  // host (IPv6 without brackets), port

// "host:port", "[v6]:port", or an unbracketed IPv6 address whose last colon splits off the port ("::1:5432", as
// Node::endpoint() prints it). The port is 1-65535 in decimal digits; no whitespace anywhere. nullopt otherwise.
std::optional<Endpoint> parse_endpoint(std::string_view text);

// host:port, with brackets around an IPv6 host ("[::1]:5432"): what a URL or a Host header needs.
std::string format_endpoint(const Endpoint& endpoint);

}  // namespace pgload

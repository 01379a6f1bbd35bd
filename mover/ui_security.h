// The `pgmove ui` access rules, as pure functions: the action token, and the Host / Origin checks that keep other
// web sites (cross-origin requests, DNS rebinding) away from the page and its actions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mover/cli.h"

namespace pgload {

// 32 hex digits from the system's random source.
std::string random_ui_token();

// Compares in time independent of where the strings differ.
bool ui_token_matches(std::string_view given, std::string_view expected) noexcept;

// "Bearer T" -> "T"; nullopt for any other Authorization value.
std::optional<std::string> bearer_token(std::string_view authorization);

// The Host header a browser sends for the address the server listens on: that host:port, plus localhost,
// 127.0.0.1 and [::1] when listening on loopback; any host with the right port when listening on every address.
bool ui_host_allowed(std::string_view host_header, const Endpoint& listen);

// An action's Origin: absent (curl, scripts) or exactly http://<Host>. Sec-Fetch-Site, when sent, must be
// same-origin or none (typed in / bookmarked).
bool ui_origin_allowed(std::string_view origin, std::string_view sec_fetch_site, std::string_view host_header);

}  // namespace pgload

// The `pgmove ui` access rules, as pure functions: the action token, and the Host / Origin checks that keep other
// web sites (cross-origin requests, DNS rebinding) away from the page and its actions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"

namespace pgload {

// 32 hex digits from the system's random source.
std::string random_ui_token();

// Compares in time independent of where the strings differ.
bool ui_token_matches(std::string_view given, std::string_view expected) noexcept;

// "Bearer T" -> "T"; nullopt for any other Authorization value.
std::optional<std::string> bearer_token(std::string_view authorization);

// Whether a Host header names this server, so that a page of another site cannot reach it through a DNS name of
// its own (DNS rebinding). The port must be the listening one (no port: 80), and the host one of localhost,
// 127.0.0.1, [::1], the --listen address, an --allowed-host name (case-insensitive) or, when listening on every
// address (0.0.0.0, ::), any IP address literal: a rebinding attack needs a name, and an address is not one.
bool ui_host_allowed(std::string_view host_header, const Endpoint& listen,
                     const std::vector<std::string>& allowed_hosts = {});

// An action's Origin: absent (curl, scripts) or exactly http://<Host>. Sec-Fetch-Site, when sent, must be
// same-origin or none (typed in / bookmarked).
bool ui_origin_allowed(std::string_view origin, std::string_view sec_fetch_site, std::string_view host_header);

}  // namespace pgload

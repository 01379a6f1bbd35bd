// inet_in / cidr_in of PostgreSQL 15 for the full forms (a.b.c.d[/n], IPv6 with :: and an embedded IPv4 tail,
// [/n]) and hashinet: hash_any over family (2 = IPv4, 3 = IPv6), prefix bits and the 4 or 16 address bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace pgload {

// false where the server rejects the text, and for the abbreviated cidr forms ('10/8', '10.1') and leading-zero
// octets, which are left to the server's error path rather than guessed. cidr also refuses set host bits.
bool hash_inet_text(std::string_view text, bool cidr, int32_t& hash_out) noexcept;

}  // namespace pgload

// inet_in / cidr_in of PostgreSQL 15 for the full forms (a.b.c.d[/n], IPv6 with :: and an embedded IPv4 tail,
// [/n]) and hashinet: hash_any over family (2 = IPv4, 3 = IPv6), prefix bits and the 4 or 16 address bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pgload {

// inet's value as the server holds it (and inet_send sends it, with the cidr flag and the address length).
struct PgInet {
  uint8_t family = 0;  // 2 = PGSQL_AF_INET, 3 = PGSQL_AF_INET6
  uint8_t bits = 0;    // prefix length
  uint8_t addr[16] = {};
  size_t addr_bytes() const noexcept { return family == 3 ? 16 : 4; }
};

// false where the server rejects the text, and for the abbreviated cidr forms ('10/8', '10.1') and leading-zero
// octets, which are left to the server's error path rather than guessed. cidr also refuses set host bits.
bool parse_pg_inet(std::string_view text, bool cidr, PgInet& out) noexcept;

// hashinet: hash_any over family, bits and the address bytes.
int32_t hash_pg_inet(const PgInet& value) noexcept;

}  // namespace pgload

// The inet varlena payload is {family, bits, address}; hashinet hashes exactly those 2 + 4|16 bytes.
#include "common/pg_inet.h"

#include "common/citus_hash.h"
#include "common/hex.h"

namespace pgload {
namespace {

constexpr uint8_t kFamilyIpv4 = 2;  // PGSQL_AF_INET
constexpr uint8_t kFamilyIpv6 = 3;  // PGSQL_AF_INET6

// Dotted quad, each octet 0..255 in decimal without leading zeros.
bool parse_ipv4(std::string_view s, uint8_t* out) noexcept {
  size_t i = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    const size_t from = i;
    int v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - from < 3) v = v * 10 + (s[i++] - '0');
    if (i == from || v > 255 || (s[from] == '0' && i - from > 1)) return false;
    out[octet] = static_cast<uint8_t>(v);
  }
  return i == s.size();
}

// RFC 4291 text: up to 8 groups of 1..4 hex digits, one "::", optionally a dotted quad as the last 32 bits.
bool parse_ipv6(std::string_view s, uint8_t* out) noexcept {
  uint16_t groups[8] = {};
  int n = 0;
  int gap = -1;  // group index where "::" stands
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    gap = 0;
    i = 2;
    if (i == s.size()) {
      for (int k = 0; k < 16; ++k) out[k] = 0;
      return true;
    }
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    if (n >= 8) return false;
    // An IPv4 tail: the rest has a '.' before any ':'.
    const std::string_view rest = s.substr(i);
    const size_t dot = rest.find('.');
    if (dot != std::string_view::npos && rest.find(':') == std::string_view::npos) {
      uint8_t v4[4];
      if (n > 6 || !parse_ipv4(rest, v4)) return false;
      groups[n++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
      groups[n++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
      i = s.size();
      break;
    }
    const size_t from = i;
    uint32_t v = 0;
    while (i < s.size() && hex_value(s[i]) >= 0 && i - from < 4) v = v << 4 | static_cast<uint32_t>(hex_value(s[i++]));
    if (i == from) return false;
    groups[n++] = static_cast<uint16_t>(v);
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      ++i;
    } else if (i == s.size()) {
      return false;  // trailing single ':'
    }
  }
  if (gap < 0 && n != 8) return false;
  if (gap >= 0 && n >= 8) return false;  // "::" must stand for at least one group
  uint16_t full[8] = {};
  if (gap < 0) {
    for (int k = 0; k < 8; ++k) full[k] = groups[k];
  } else {
    for (int k = 0; k < gap; ++k) full[k] = groups[k];
    const int tail = n - gap;
    for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
  }
  for (size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(full[k] & 0xff);
  }
  return true;
}

}  // namespace

bool parse_pg_inet(std::string_view text, bool cidr, PgInet& out) noexcept {
  uint8_t addr[16] = {};
  std::string_view a = text;
  int bits = -1;
  const size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    a = text.substr(0, slash);
    const std::string_view b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3) return false;
    bits = 0;
    for (char ch : b) {
      if (ch < '0' || ch > '9') return false;
      bits = bits * 10 + (ch - '0');
    }
    if (b.size() > 1 && b[0] == '0') return false;
  }
  const bool v6 = a.find(':') != std::string_view::npos;  // network_in picks the family this way too
  const int addr_bytes = v6 ? 16 : 4;
  if (!(v6 ? parse_ipv6(a, addr) : parse_ipv4(a, addr))) return false;
  if (bits < 0) bits = addr_bytes * 8;
  if (bits > addr_bytes * 8) return false;
  if (cidr) {
    // addressOK: no bit set beyond the prefix.
    for (int bit = bits; bit < addr_bytes * 8; ++bit)
      if (addr[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  out.family = v6 ? kFamilyIpv6 : kFamilyIpv4;
  out.bits = static_cast<uint8_t>(bits);
  for (int k = 0; k < 16; ++k) out.addr[k] = addr[k];
  return true;
}

int32_t hash_pg_inet(const PgInet& value) noexcept {
  uint8_t buf[18];
  buf[0] = value.family;
  buf[1] = value.bits;
  for (size_t k = 0; k < value.addr_bytes(); ++k) buf[2 + k] = value.addr[k];
  return static_cast<int32_t>(hash_bytes(buf, value.addr_bytes() + 2));
}

}  // namespace pgload

// Built from PQconninfo() rather than the user's string, which may have been empty (environment defaults).
#include "common/session_conninfo.h"

namespace pgload {

std::string session_conninfo(const PgConn& conn) {
  std::string out;
  PQconninfoOption* opts = PQconninfo(conn.raw());
  for (PQconninfoOption* o = opts; o && o->keyword; ++o) {
    std::string_view k = o->keyword;
    if (!o->val || !*o->val || k == "fallback_application_name" || k == "application_name") continue;
    // libpq conninfo values are single-quoted with backslash escapes.
    std::string v = "'";
    for (const char* p = o->val; *p; ++p) {
      if (*p == '\\' || *p == '\'') v.push_back('\\');
      v.push_back(*p);
    }
    out += std::string(k) + "=" + v + "' ";
  }
  PQconninfoFree(opts);
  return out;
}

}  // namespace pgload

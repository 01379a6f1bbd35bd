// Error naming and SQL text helpers shared by the move steps.
#include "mover/move/move_unit.h"

#include <exception>
#include <stdexcept>

namespace pgload {

[[noreturn]] void rethrow_named(const MoveUnit& u) {
  try {
    throw;
  } catch (const PgError& e) {
    throw PgError("moving " + u.what() + " failed: " + e.server_message(), e.sqlstate(), e.endpoint(), e.query(),
                  e.connection_lost());
  } catch (const std::exception& e) {
    throw std::runtime_error("moving " + u.what() + " failed: " + e.what());
  }
}

std::string join_sql_list(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

}  // namespace pgload

#include "mover/plan/colocation_unit.h"

namespace pgload {

ColocationUnit colocation_unit(int32_t colocation_id, const std::string& table, int shard_index) {
  return {colocation_id, colocation_id == 0 ? table : std::string(), shard_index};
}

}  // namespace pgload

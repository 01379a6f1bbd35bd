// Values for the columns a load leaves out that have a DEFAULT (a serial or identity sequence, now(), a constant,
// gen_random_uuid(), ...). Shard tables carry no sequence defaults, so the values are made where Citus's COPY makes
// them: on the coordinator, one row of values per input record, from the coordinator's own sequences.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/pg.h"

namespace pgload {

class ColumnDefaults {
 public:
  // `exprs`: one SQL expression per left-out column, already cast to its type. Opens a session of its own to the
  // server of `coordinator` (values are taken while the caller's transactions there stay open).
  ColumnDefaults(const PgConn& coordinator, std::vector<std::string> exprs);
  size_t columns() const noexcept { return columns_; }
  // Evaluates every expression for `rows` rows into `out` (rows x columns values, row by row; nullopt = NULL). All
  // values of one step come from one coordinator transaction, so now() is one value per load (per step with
  // --checkpoint), as in a COPY; nextval(), random() and clock_timestamp() differ per row.
  void fill(size_t rows, std::vector<std::optional<std::string>>& out);
  // Commits the transaction the values were taken in, durably, before any shard commits: a sequence's advance is
  // then never lost in a coordinator crash (a value handed out twice). Called when a step's input is read.
  void finish();

 private:
  PgConn conn_;
  std::string sql_;
  size_t columns_ = 0;
  bool open_ = false;
};

}  // namespace pgload

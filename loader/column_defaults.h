// Values for the columns a load leaves out that have a DEFAULT (a serial or identity sequence, now(), a constant,
// gen_random_uuid(), ...). Shard tables carry no sequence defaults, so the values are made where Citus's COPY makes
// them: on the coordinator, one row of values per input record, from the coordinator's own sequences.
#pragma once

#include <cstddef>
#include <future>
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
  // Queues the evaluation of every expression for `rows` rows into `out` (rows x columns values, row by row;
  // nullopt = NULL) and returns at once: the returned future is ready (or holds the error) once `out` is filled.
  // Requests run one after another on the session, in the order they were made, so sequence values follow the
  // input; the query overlaps the pipeline's parsing. All values of one step come from one coordinator transaction,
  // so now() is one value per load (per step with --checkpoint), as in a COPY; nextval(), random() and
  // clock_timestamp() differ per row. `out` must stay in place until the future is ready.
  std::shared_future<void> request(size_t rows, std::vector<std::optional<std::string>>& out);
  // Waits for every request; the first failure among them is not rethrown here (each request's future holds it).
  void wait() noexcept;
  // Commits the transaction the values were taken in, durably, before any shard commits: a sequence's advance is
  // then never lost in a coordinator crash (a value handed out twice). Called when a step's input is read.
  void finish();

 private:
  PgConn conn_;
  std::string sql_;
  size_t columns_ = 0;
  bool open_ = false;              // touched only by the request in progress, or after wait()
  std::shared_future<void> last_;  // the latest request: it waits for the one before it
};

}  // namespace pgload

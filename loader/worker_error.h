// A worker's error for one COPY or apply statement, read once from its PGresult, and where in a batch it points:
// the sink's fast path turns it into the load's failure, the --max-errors path into a rejected row.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgload {

struct BatchRow;

struct WorkerError {
  std::string primary;  // message, with its detail in parentheses
  std::string context;  // the server's CONTEXT, e.g. "COPY x_102008, line 12, column login: ..."
  std::string sqlstate;
  std::string constraint;             // PG_DIAG_CONSTRAINT_NAME, when the server names one
  std::string column;                 // from the COPY context or PG_DIAG_COLUMN_NAME
  std::optional<uint64_t> copy_line;  // COPY's line (binary: row) number within the statement

  static WorkerError from(const PGresult* r, PGconn* conn);
  // A refusal of the row's values (data exception 22, integrity constraint 23): replaying the batch without the
  // row makes it go through. Anything else (a lost lock, a cancel, a full disk) is the load's failure.
  bool is_row_error() const noexcept;
  // "message [constraint "c"] [SQLSTATE s]", the constraint named as on the table (without the shard's suffix).
  std::string describe(int64_t shard_id) const;
};

// The row of rows[lo, hi) that COPY's line `line` names when those rows were one COPY statement, or hi.
// PostgreSQL's COPY line number counts quoted newlines too, but only once the stream's end-of-line style is known,
// i.e. not inside the first record (copyfromparse.c counts them only when eol_type is set); a binary COPY's "line"
// is the row number.
size_t row_at_copy_line(const std::vector<BatchRow>& rows, size_t lo, size_t hi, uint64_t line, bool binary) noexcept;

}  // namespace pgload

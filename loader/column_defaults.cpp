// One query per chunk of input, `SELECT e1, e2, ... FROM generate_series(1, n)`: the round trip is per ~1 MiB of
// input, not per row, runs on a thread of its own while chunks are parsed, and only loads that leave out columns
// with defaults pay it.
#include "loader/column_defaults.h"

#include "common/session_conninfo.h"

namespace pgload {

ColumnDefaults::ColumnDefaults(const PgConn& coordinator, std::vector<std::string> exprs)
    : conn_(PgConn::connect(session_conninfo(coordinator), "pgload defaults")), columns_(exprs.size()) {
  sql_ = "SELECT ";
  for (size_t i = 0; i < exprs.size(); ++i) sql_ += (i ? ", " : "") + exprs[i];
  sql_ += " FROM pg_catalog.generate_series(1, $1::int)";
  // Output the server's canonical forms, which the client validates, hashes and encodes like any input value.
  conn_.run("SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; SET bytea_output = hex");
}

std::shared_future<void> ColumnDefaults::request(size_t rows, std::vector<std::optional<std::string>>& out) {
  std::shared_future<void> before = last_;
  last_ = std::async(std::launch::async, [this, before, rows, &out] {
            if (before.valid()) before.wait();  // in order, one query at a time on the session
            out.resize(rows * columns_);
            if (rows == 0) return;
            if (!open_) {
              conn_.run("BEGIN");
              conn_.run("SET LOCAL synchronous_commit = on");
              open_ = true;
            }
            PgResult r = conn_.exec(sql_, {std::to_string(rows)});
            for (int i = 0; i < r.rows(); ++i)
              for (size_t k = 0; k < columns_; ++k) {
                auto& v = out[static_cast<size_t>(i) * columns_ + k];
                if (r.is_null(i, static_cast<int>(k)))
                  v.reset();
                else
                  v.emplace(r.get(i, static_cast<int>(k)));
              }
          }).share();
  return last_;
}

void ColumnDefaults::wait() noexcept {
  if (last_.valid()) last_.wait();
}

void ColumnDefaults::finish() {
  wait();
  if (last_.valid()) last_.get();  // a failed request fails the step
  if (!open_) return;
  conn_.run("COMMIT");
  open_ = false;
}

}  // namespace pgload

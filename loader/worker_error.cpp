// Reading a worker's error once; see loader/worker_error.h.
#include "loader/worker_error.h"

#include <regex>

#include "loader/copy_sink.h"

namespace pgload {

WorkerError WorkerError::from(const PGresult* r, PGconn* conn) {
  WorkerError e;
  auto field = [r](int code) -> std::string {
    const char* v = r ? PQresultErrorField(r, code) : nullptr;
    return v ? v : "";
  };
  e.primary = field(PG_DIAG_MESSAGE_PRIMARY);
  if (std::string d = field(PG_DIAG_MESSAGE_DETAIL); !d.empty()) e.primary += " (" + d + ")";
  e.context = field(PG_DIAG_CONTEXT);
  e.sqlstate = field(PG_DIAG_SQLSTATE);
  e.constraint = field(PG_DIAG_CONSTRAINT_NAME);
  e.column = field(PG_DIAG_COLUMN_NAME);
  if (e.primary.empty() && conn) {
    e.primary = PQerrorMessage(conn);
    while (!e.primary.empty() && (e.primary.back() == '\n' || e.primary.back() == ' ')) e.primary.pop_back();
  }
  static const std::regex line_re(R"(COPY [^,]*, line (\d+)(?:, column ([^:]+))?)");
  std::smatch m;
  if (std::regex_search(e.context, m, line_re)) {
    e.copy_line = std::stoull(m[1].str());
    if (m[2].matched) e.column = m[2].str();
  }
  return e;
}

bool WorkerError::is_row_error() const noexcept {
  return sqlstate.size() == 5 && (sqlstate.compare(0, 2, "22") == 0 || sqlstate.compare(0, 2, "23") == 0);
}

std::string WorkerError::describe(int64_t shard_id) const {
  std::string s = primary;
  std::string name = constraint;
  const std::string suffix = "_" + std::to_string(shard_id);
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  if (!name.empty()) s += " [constraint \"" + name + "\"]";
  if (!sqlstate.empty()) s += " [SQLSTATE " + sqlstate + "]";
  return s;
}

size_t row_at_copy_line(const std::vector<BatchRow>& rows, size_t lo, size_t hi, uint64_t line, bool binary) noexcept {
  if (binary) return line >= 1 && line <= hi - lo ? lo + static_cast<size_t>(line - 1) : hi;
  uint64_t pg_line = 0;
  for (size_t i = lo; i < hi; ++i) {
    pg_line += 1 + (i > lo ? rows[i].origin->newlines : 0);
    if (pg_line >= line) return i;
  }
  return hi;
}

}  // namespace pgload

// RAII owners for libpq handles, identifier quoting, and the error type every PostgreSQL call throws.
// Control-plane code throws PgError (SQLSTATE + endpoint + query); hot paths never call into here per row.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgload {

// A PostgreSQL failure with where it happened. connection_lost distinguishes a dead server from a rejected query.
class PgError : public std::runtime_error {
 public:
  PgError(std::string message, std::string sqlstate, std::string endpoint, std::string query, bool connection_lost);
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  const std::string& endpoint() const noexcept { return endpoint_; }
  const std::string& query() const noexcept { return query_; }
  const std::string& server_message() const noexcept { return server_message_; }
  bool connection_lost() const noexcept { return connection_lost_; }

 private:
  std::string sqlstate_, endpoint_, query_, server_message_;
  bool connection_lost_;
};

// Owns one PGresult; single owner, so a result is cleared exactly once, where its last holder drops it.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) noexcept : r_(r) {}
  PGresult* raw() const noexcept { return r_.get(); }
  int rows() const noexcept { return r_ ? PQntuples(r_.get()) : 0; }
  int cols() const noexcept { return r_ ? PQnfields(r_.get()) : 0; }
  bool is_null(int row, int col) const noexcept { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view get(int row, int col) const noexcept {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::string str(int row, int col) const { return std::string(get(row, col)); }
  std::optional<std::string> opt(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return str(row, col);
  }
  int64_t i64(int row, int col) const;
  bool boolean(int row, int col) const { return get(row, col) == "t"; }
  int col(const char* name) const;  // column index by name, throws if absent

 private:
  struct Clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

using Params = std::vector<std::optional<std::string>>;

// Owns one PGconn. Blocking helpers for control-plane SQL; raw() for non-blocking COPY pipelines.
// Move-only: a PGconn is one session and not thread-safe, so code that shares a session takes a PgConn& (or
// const PgConn&) from its single owner, which makes the sharing visible at the call.
class PgConn {
 public:
  PgConn() = default;
  PgConn(PgConn&&) noexcept = default;
  PgConn& operator=(PgConn&&) noexcept = default;
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  // Connects with libpq conventions (conninfo string or URI; PG* env vars, service file and .pgpass apply).
  static PgConn connect(const std::string& conninfo, const std::string& application_name = "pgload");
  PGconn* raw() const noexcept { return c_.get(); }
  explicit operator bool() const noexcept { return c_ != nullptr; }
  // host:port of the server, for error messages (never the password); never empty (see conninfo_endpoint).
  std::string endpoint() const;
  std::string host() const;
  int port() const;

  PgResult exec(std::string_view sql) const;
  PgResult exec(std::string_view sql, const Params& params) const;
  // Runs a statement that returns nothing interesting.
  void run(std::string_view sql) const { (void)exec(sql); }
  std::optional<std::string> scalar(std::string_view sql, const Params& params = {}) const;
  // Runs the queries in one round trip (libpq's pipeline mode), each with its parameters, in the session's open
  // transaction if it has one; returns their results in order, or throws the first failure (the ones after it did
  // not run).
  std::vector<PgResult> exec_pipelined(const std::vector<std::pair<std::string, Params>>& queries) const;
  // send() starts `sql` (simple protocol: one or more statements) without waiting for the server, so that several
  // sessions work at the same time; collect() then reads all its results and throws the first failure, leaving the
  // session ready for its next statement. Every send() that returned is followed by one collect().
  void send(std::string_view sql) const;
  void collect(std::string_view sql) const;

  // Throws a PgError for a result (or a connection failure) of the given query.
  [[noreturn]] void fail(const PGresult* r, std::string_view query) const;

 private:
  struct Finish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Finish> c_;
};

// Where a conninfo string or URI points, for messages about a connection that has no server yet (it failed before
// a host was known): "host:port" from the conninfo, else "libpq defaults" (PGHOST/PGPORT or the local socket).
std::string conninfo_endpoint(const std::string& conninfo);

// Runs sql[i] on *sessions[i], every one sent before any is waited for. Returns each session's failure (null: it
// succeeded); all of them are ready for their next statement afterwards.
std::vector<std::exception_ptr> run_concurrently(const std::vector<const PgConn*>& sessions,
                                                 const std::vector<std::string>& sql);

// "name" with embedded quotes doubled: safe for any identifier, including `a"; DROP TABLE x; --`.
std::string quote_ident(std::string_view ident);
// 'text' with embedded quotes doubled (standard_conforming_strings is on in every supported server).
std::string quote_literal(std::string_view text);
// Array literals for bind parameters ($1::bigint[], $1::text[]): {1,2,3} and {"a","b"} with quotes and backslashes
// escaped, so any host name or identifier survives.
std::string array_literal(const std::vector<int64_t>& items);
std::string array_literal(const std::vector<std::string>& items);
// A possibly schema-qualified name, each part quoted: quote_qualified("public", "t") -> "public"."t".
std::string quote_qualified(std::string_view schema, std::string_view name);

}  // namespace pgload

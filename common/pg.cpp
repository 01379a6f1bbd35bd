// libpq wrappers: every failure becomes one PgError naming endpoint, SQLSTATE and query.
#include "common/pg.h"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace pgload {

PgError::PgError(std::string message, std::string sqlstate, std::string endpoint, std::string query,
                 bool connection_lost)
    : std::runtime_error(endpoint.empty() ? message : message + " [" + endpoint + "]"),
      sqlstate_(std::move(sqlstate)),
      endpoint_(std::move(endpoint)),
      query_(std::move(query)),
      server_message_(std::move(message)),
      connection_lost_(connection_lost) {}

int64_t PgResult::i64(int row, int col) const {
  auto v = get(row, col);
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size())
    throw std::runtime_error("expected an integer, got '" + std::string(v) + "'");
  return out;
}

int PgResult::col(const char* name) const {
  int c = PQfnumber(r_.get(), name);
  if (c < 0) throw std::runtime_error(std::string("result has no column ") + name);
  return c;
}

namespace {

// Both tools hold sessions idle (a coordinator session between steps, a lock holder while workers copy) and
// transactions open (COPY connections): a role's or database's idle timeouts must not cut them. Sent in the startup
// packet, so they hold from the session's first moment (a SET could arrive after a tiny timeout has struck).
constexpr const char* kSessionOptions = "-c idle_session_timeout=0 -c idle_in_transaction_session_timeout=0";

// The user's own options (the conninfo's, else PGOPTIONS) followed by kSessionOptions: the options keyword replaces
// rather than adds to them.
std::string options_with_session_settings(const std::string& conninfo) {
  std::string user;
  char* error = nullptr;
  if (PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &error)) {
    for (PQconninfoOption* o = opts; o->keyword; ++o)
      if (std::string_view(o->keyword) == "options" && o->val) user = o->val;
    PQconninfoFree(opts);
  }
  if (error) PQfreemem(error);
  if (user.empty())
    if (const char* env = std::getenv("PGOPTIONS")) user = env;
  return user.empty() ? kSessionOptions : user + " " + kSessionOptions;
}

PGconn* connect_raw(const std::string& conninfo, const std::string& application_name, const std::string* options) {
  // fallback_application_name lets a user's own application_name win.
  const char* keys[] = {"dbname", "fallback_application_name", options ? "options" : nullptr, nullptr};
  const char* vals[] = {conninfo.c_str(), application_name.c_str(), options ? options->c_str() : nullptr, nullptr};
  return PQconnectdbParams(keys, vals, /*expand_dbname=*/1);
}

}  // namespace

PgConn PgConn::connect(const std::string& conninfo, const std::string& application_name) {
  const std::string options = options_with_session_settings(conninfo);
  PGconn* raw = connect_raw(conninfo, application_name, &options);
  // A server older than PostgreSQL 14 has no idle_session_timeout and refuses the startup options: connect without
  // them and turn off whichever timeouts it has (simple query protocol, as a replication=database walsender needs).
  const bool old_server = raw && PQstatus(raw) != CONNECTION_OK &&
                          std::string_view(PQerrorMessage(raw)).find("idle_session_timeout") != std::string_view::npos;
  if (old_server) {
    PQfinish(raw);
    raw = connect_raw(conninfo, application_name, nullptr);
  }
  PgConn c;
  c.c_.reset(raw);
  if (!raw) throw PgError("out of memory connecting", "", conninfo_endpoint(conninfo), "", true);
  // Server NOTICEs (e.g. "schema already exists, skipping") are not for our users; errors still raise.
  if (raw)
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(raw);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    // PQhost is empty when libpq gave up before choosing a host (e.g. an unknown conninfo keyword).
    const char* h = PQhost(raw);
    const char* p = PQport(raw);
    std::string where = h && *h ? std::string(h) + ":" + (p && *p ? p : "5432") : conninfo_endpoint(conninfo);
    throw PgError("cannot connect: " + msg, "08001", where, "", true);
  }
  if (old_server) {
    PGresult* set = PQexec(raw,
                           "SELECT pg_catalog.set_config(name, '0', false) FROM pg_catalog.pg_settings "
                           "WHERE name IN ('idle_session_timeout', 'idle_in_transaction_session_timeout')");
    const bool set_ok = PQresultStatus(set) == PGRES_TUPLES_OK;
    std::string why = set_ok ? "" : PQresultErrorMessage(set);
    PQclear(set);
    if (!set_ok) {
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      throw PgError("cannot turn off the idle session timeouts: " + why, "", c.endpoint(), "", false);
    }
  }
  return c;
}

std::string PgConn::host() const {
  const char* h = c_ ? PQhost(c_.get()) : nullptr;
  return h ? h : "";
}

int PgConn::port() const {
  const char* p = c_ ? PQport(c_.get()) : nullptr;
  return p && *p ? std::atoi(p) : 5432;
}

std::string PgConn::endpoint() const {
  std::string h = host();
  if (h.empty()) return "libpq defaults";
  return h + ":" + std::to_string(port());
}

std::string conninfo_endpoint(const std::string& conninfo) {
  std::string host, port;
  if (PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), nullptr)) {
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      if (!o->val || !*o->val) continue;
      std::string_view k = o->keyword;
      if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
      if (k == "port") port = o->val;
    }
    PQconninfoFree(opts);
  }
  if (host.empty()) return port.empty() ? "libpq defaults" : "libpq default host, port " + port;
  return host + ":" + (port.empty() ? "5432" : port);
}

void PgConn::fail(const PGresult* r, std::string_view query) const {
  std::string msg, state;
  if (r) {
    if (const char* m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) msg = m;
    if (const char* d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) msg += std::string(" (") + d + ")";
    if (const char* ctx = PQresultErrorField(r, PG_DIAG_CONTEXT)) msg += std::string("; context: ") + ctx;
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) state = s;
  }
  if (msg.empty()) {
    msg = PQerrorMessage(c_.get());
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  }
  bool lost = PQstatus(c_.get()) != CONNECTION_OK;
  throw PgError(msg, state, endpoint(), std::string(query), lost);
}

PgResult PgConn::exec(std::string_view sql) const { return exec(sql, {}); }

PgResult PgConn::exec(std::string_view sql, const Params& params) const {
  std::string q(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* r = params.empty() ? PQexec(c_.get(), q.c_str())
                               : PQexecParams(c_.get(), q.c_str(), static_cast<int>(values.size()), nullptr,
                                              values.data(), nullptr, nullptr, 0);
  PgResult res(r);
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r, q);
  return res;
}

std::vector<PgResult> PgConn::exec_pipelined(const std::vector<std::pair<std::string, Params>>& queries) const {
  PGconn* c = c_.get();
  if (!PQenterPipelineMode(c)) fail(nullptr, queries.empty() ? "" : queries.front().first);
  size_t sent = 0;
  for (const auto& [sql, params] : queries) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    if (!PQsendQueryParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr,
                           0))
      break;
    ++sent;
  }
  const bool synced = PQpipelineSync(c) == 1;
  // Every result is read up to the sync, whatever failed, so that the session leaves pipeline mode ready for more.
  std::vector<PgResult> results;
  PgResult error;
  std::optional<size_t> error_at;
  for (size_t i = 0; i < sent; ++i) {
    PgResult r(PQgetResult(c));
    if (r.raw())
      while (PGresult* extra = PQgetResult(c)) PQclear(extra);  // up to the NULL that ends this query's results
    const auto st = r.raw() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      results.push_back(std::move(r));
    } else if (!error_at) {  // later ones are PGRES_PIPELINE_ABORTED
      error = std::move(r);
      error_at = i;
    }
  }
  if (synced)
    while (PGresult* r = PQgetResult(c)) {
      const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) break;
    }
  (void)PQexitPipelineMode(c);
  if (error_at) fail(error.raw(), queries[*error_at].first);
  if (sent < queries.size() || !synced) fail(nullptr, queries[sent < queries.size() ? sent : 0].first);
  return results;
}

void PgConn::send(std::string_view sql) const {
  const std::string q(sql);
  if (!PQsendQuery(c_.get(), q.c_str())) fail(nullptr, q);
}

void PgConn::collect(std::string_view sql) const {
  PgResult first_error;
  while (PGresult* r = PQgetResult(c_.get())) {
    PgResult res(r);
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !first_error.raw()) first_error = std::move(res);
  }
  if (first_error.raw()) fail(first_error.raw(), sql);
  if (PQstatus(c_.get()) != CONNECTION_OK) fail(nullptr, sql);
}

std::vector<std::exception_ptr> run_concurrently(const std::vector<const PgConn*>& sessions,
                                                 const std::vector<std::string>& sql) {
  std::vector<std::exception_ptr> errors(sessions.size());
  std::vector<bool> sent(sessions.size(), false);
  for (size_t i = 0; i < sessions.size(); ++i) {
    try {
      sessions[i]->send(sql[i]);
      sent[i] = true;
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  for (size_t i = 0; i < sessions.size(); ++i) {
    if (!sent[i]) continue;
    try {
      sessions[i]->collect(sql[i]);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  return errors;
}

std::optional<std::string> PgConn::scalar(std::string_view sql, const Params& params) const {
  auto r = exec(sql, params);
  if (r.rows() == 0 || r.is_null(0, 0)) return std::nullopt;
  return r.str(0, 0);
}

std::string quote_ident(std::string_view ident) {
  std::string out;
  out.reserve(ident.size() + 2);
  out.push_back('"');
  for (char ch : ident) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

std::string quote_literal(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (char ch : text) {
    if (ch == '\'') out.push_back('\'');
    out.push_back(ch);
  }
  out.push_back('\'');
  return out;
}

std::string quote_qualified(std::string_view schema, std::string_view name) {
  return schema.empty() ? quote_ident(name) : quote_ident(schema) + "." + quote_ident(name);
}

std::string array_literal(const std::vector<int64_t>& items) {
  std::string s = "{";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + std::to_string(items[i]);
  return s + "}";
}

std::string array_literal(const std::vector<std::string>& items) {
  std::string s = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    s += i ? ",\"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') s.push_back('\\');
      s.push_back(c);
    }
    s += "\"";
  }
  return s + "}";
}

}  // namespace pgload

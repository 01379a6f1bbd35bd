// pgmove ui: cpp-httplib serves the embedded page and the JSON; a refresher thread re-reads the cluster every
// second (sizes come from every worker, so requests never wait on it); actions check Host, Origin and the token.
#include "mover/ui/ui_server.h"

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/byte_size.h"
#include "common/conninfo.h"
#include "common/exit_code.h"
#include "common/integer.h"
#include "common/log.h"
#include "mover/cluster/add_node.h"
#include "mover/cluster/cluster_state.h"
#include "mover/cluster/report_json.h"
#include "mover/cluster/session.h"
#include "mover/cluster/status_report.h"
#include "mover/ui/ui_assets.h"
#include "mover/ui/ui_run.h"
#include "mover/ui/ui_security.h"

namespace pgload {

namespace {

using Json = nlohmann::ordered_json;
constexpr int kRefreshPeriodMs = 1000;
const Endpoint kDefaultListen{"127.0.0.1", 8080};

// The last cluster reading, refreshed in the background and on demand (after a run or an added node).
class StatusCache {
 public:
  explicit StatusCache(ConnectionOptions o) : options_(std::move(o)), thread_([this] { loop(); }) {}
  ~StatusCache() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  StatusCache(const StatusCache&) = delete;
  StatusCache& operator=(const StatusCache&) = delete;

  // Reads the cluster now (serialized with the background reads).
  void refresh() {
    std::lock_guard serial(refresh_mu_);
    Json j;
    std::string error;
    try {
      Session s(options_);
      j = status_json(build_status_report(s.coordinator, s.catalog));
    } catch (const std::exception& e) {
      error = redact_conninfo(e.what());
    }
    std::lock_guard lock(mu_);
    if (error.empty())
      last_ = std::move(j);
    else
      last_["error"] = error;  // keep the last good reading, say why it is old
    if (error.empty()) last_.erase("error");
    last_at_ = std::chrono::steady_clock::now();
  }
  Json get() {
    std::lock_guard lock(mu_);
    Json j = last_;
    j["age_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_at_).count();
    return j;
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      refresh();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(kRefreshPeriodMs), [this] { return stop_; });
    }
  }
  const ConnectionOptions options_;
  std::mutex refresh_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                                // under mu_
  Json last_ = Json::object();                       // under mu_
  std::chrono::steady_clock::time_point last_at_{};  // under mu_
  std::thread thread_;                               // last: its loop uses the members above
};

void send_json(httplib::Response& res, int status, const Json& j) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(j.dump(), "application/json");
}
void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

// Form fields of an action: the query string and a urlencoded or multipart body.
httplib::Params form_of(const httplib::Request& req) {
  httplib::Params p = req.params;
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
    httplib::detail::parse_query_text(req.body, p);
  for (const auto& [name, part] : req.files) p.emplace(name, part.content);
  return p;
}
std::string field(const httplib::Params& p, const char* name) {
  auto it = p.find(name);
  return it == p.end() ? "" : it->second;
}

// The token an action carries: the Authorization: Bearer header, else a `token` field of the body (urlencoded or
// multipart). Never the query string, which ends up in logs and browser history.
std::string token_of(const httplib::Request& req) {
  if (auto bearer = bearer_token(req.get_header_value("Authorization"))) return *bearer;
  if (req.is_multipart_form_data()) return req.has_file("token") ? req.get_file_value("token").content : "";
  httplib::Params body;
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
    httplib::detail::parse_query_text(req.body, body);
  return field(body, "token");
}

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// An action: runs `handler` only with the right token. Checked here, once the body is read (the pre-routing
// handler runs before it is, so a form field cannot be seen there).
Handler with_token(const std::string& token, Handler handler) {
  return [&token, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    if (!ui_token_matches(token_of(req), token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "this action needs the token pgmove ui printed at start");
      return;
    }
    handler(req, res);
  };
}

std::optional<int64_t> rate_field(const std::string& text, std::string& why) {
  if (text.empty() || text == "0" || text == "unlimited") return 0;
  auto r = parse_rate_bytes_per_s(text);
  if (!r || *r < 1) {
    why = "max_rate \"" + text + "\" is not a rate; use e.g. 50MB/s, 20MiB/s, 500kB/s or bytes";
    return std::nullopt;
  }
  return static_cast<int64_t>(*r);
}

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

}  // namespace

int run_ui(const UiOptions& o) {
  const Endpoint listen = o.listen.value_or(kDefaultListen);
  const std::string token = o.token.empty() ? random_ui_token() : o.token;
  const ConnectionOptions& base = o.connection;

  StatusCache status(base);
  UiRun run(base, [&status] { status.refresh(); });
  httplib::Server server;

  server.set_default_headers(
      {{"X-Content-Type-Options", "nosniff"},
       {"X-Frame-Options", "DENY"},
       {"Referrer-Policy", "no-referrer"},
       {"Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"}});
  // Every request names this server in Host (DNS rebinding); actions also come from our own page, and carry the
  // token (with_token, once the body is read).
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!ui_host_allowed(req.get_header_value("Host"), listen, o.allowed_hosts)) {
      send_error(res, 403, "unexpected Host header");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "GET" || req.method == "HEAD") return httplib::Server::HandlerResponse::Unhandled;
    if (req.method != "POST") {
      send_error(res, 405, "only GET and POST");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!ui_origin_allowed(req.get_header_value("Origin"), req.get_header_value("Sec-Fetch-Site"),
                           req.get_header_value("Host"))) {
      send_error(res, 403, "cross-origin request refused");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  for (const char* path : {"/", "/app.js", "/app.css"})
    server.Get(path, [](const httplib::Request& req, httplib::Response& res) {
      const UiAsset* a = find_ui_asset(req.path);
      res.set_content(a->body.data(), a->body.size(), std::string(a->content_type).c_str());
    });

  server.Get("/api/status", [&](const httplib::Request&, httplib::Response& res) {
    Json j = status.get();
    Json r = run.to_json();
    const bool underway = r.value("state", "") == "running" || r.value("state", "") == "planning";
    j["verdict"] = underway ? kVerdictUnderway : j.value("cluster_verdict", kVerdictNotRecommended);
    j["rebalance"] = std::move(r);
    send_json(res, 200, j);
  });

  server.Get("/api/plan", [&](const httplib::Request& req, httplib::Response& res) {
    try {
      Session s(base);
      std::optional<std::string> name;
      if (req.has_param("strategy") && !req.get_param_value("strategy").empty()) name = req.get_param_value("strategy");
      Strategy strategy = choose_strategy(s.coordinator, name);
      ClusterState st = load_cluster_state(s.catalog, strategy.by_disk_size);
      RebalancePlan plan;
      if (!st.tables.empty()) plan = compute_rebalance(st.nodes, st.shards, strategy, std::nullopt, std::nullopt);
      Json strategies = Json::array();
      for (const auto& sg : load_strategies(s.coordinator)) strategies.push_back(sg.name);
      Json j = plan_json(plan, strategy);
      j["strategies"] = std::move(strategies);
      send_json(res, 200, j);
    } catch (const PlanInputError& e) {
      send_error(res, 400, e.what());
    } catch (const std::exception& e) {
      send_error(res, 502, redact_conninfo(e.what()));
    }
  });

  server.Post("/api/rebalance", with_token(token, [&](const httplib::Request& req, httplib::Response& res) {
                const auto form = form_of(req);
                UiRunRequest r;
                std::string why;
                if (auto s = field(form, "strategy"); !s.empty()) r.strategy = s;
                if (auto m = field(form, "mode"); !m.empty()) {
                  if (m != "block_writes" && m != "logical")
                    return send_error(res, 400, "mode must be block_writes or logical");
                  r.mode = m;
                }
                if (auto p = field(form, "parallel"); !p.empty()) {
                  auto n = parse_int64(p);
                  if (!n || *n < 1 || *n > 64) return send_error(res, 400, "parallel must be between 1 and 64");
                  r.parallel = static_cast<int>(*n);
                }
                auto rate = rate_field(field(form, "max_rate"), why);
                if (!rate) return send_error(res, 400, why);
                r.max_rate_bytes_per_s = *rate;
                if (!run.start(r, why)) return send_error(res, 409, why);
                send_json(res, 202, {{"started", true}});
              }));

  server.Post("/api/rate", with_token(token, [&](const httplib::Request& req, httplib::Response& res) {
                std::string why;
                auto rate = rate_field(field(form_of(req), "max_rate"), why);
                if (!rate) return send_error(res, 400, why);
                if (!run.set_rate(*rate)) return send_error(res, 409, "no rebalance is running");
                send_json(res, 200, {{"max_rate_bytes_per_s", *rate}});
              }));

  server.Post("/api/stop", with_token(token, [&](const httplib::Request&, httplib::Response& res) {
                if (!run.stop()) return send_error(res, 409, "no rebalance is running");
                send_json(res, 202, {{"stopping", true}});
              }));

  server.Post("/api/nodes", with_token(token, [&](const httplib::Request& req, httplib::Response& res) {
                auto ep = parse_endpoint(field(form_of(req), "node"));
                if (!ep) return send_error(res, 400, "node must be HOST:PORT");
                try {
                  Session s(base);
                  auto id = add_node(s.coordinator, s.catalog, *ep);
                  status.refresh();
                  send_json(res, 201, {{"node", format_endpoint(*ep)}, {"nodeid", id.value_or("")}});
                } catch (const std::exception& e) {
                  send_error(res, 502, redact_conninfo(e.what()));
                }
              }));

  if (!server.bind_to_port(listen.first, listen.second))
    throw std::runtime_error("cannot listen on " + listen.first + ":" + std::to_string(listen.second) +
                             " (in use, or not an address of this machine)");
  const std::string url = "http://" + format_endpoint(listen) + "/";
  // The token is printed here once (in the URL's fragment, which browsers never send) and nowhere else.
  std::cout << "pgmove ui: serving the Shard rebalancer on " << url << "\n"
            << "open " << url << "#token=" << token << "\n"
            << "actions (POST) need that token: header Authorization: Bearer TOKEN, or a form field token=TOKEN"
            << std::endl;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::thread watcher([&server] {
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  server.listen_after_bind();
  g_stop = true;
  watcher.join();
  run.stop();
  return kExitOk;
}

}  // namespace pgload

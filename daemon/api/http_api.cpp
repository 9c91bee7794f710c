#include "http_api.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>

#include "alarms.h"
#include "config.h"
#include "dashboard.h"
#include "ingest.h"
#include "log.h"
#include "messages.h"
#include "openapi.h"
#include "process_metrics.h"
#include "rest_params.h"

namespace roomtemp {

namespace {
constexpr std::size_t kHttpThreads = 32;

/// How long a token file's content is trusted before it is read again: a replaced token takes
/// effect within this, without a restart or reload.
constexpr auto kTokenFileRefresh = std::chrono::seconds(5);

/// True when `given` is `token` (an empty token matches nothing). Every byte of the token is
/// compared whatever the lengths, so the time taken says nothing about it.
bool same_token(std::string_view given, std::string_view token) {
  unsigned diff = given.size() != token.size();
  for (std::size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(token[i]) ^
            static_cast<unsigned char>(i < given.size() ? given[i] : 0);
  return diff == 0 && !token.empty();
}

/// The credentials of an `Authorization: Bearer <token>` header ("" without one); the scheme
/// name is case-insensitive (RFC 7235).
std::string bearer_of(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view scheme = "bearer ";
  if (header.size() < scheme.size()) return "";
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return "";
  return header.substr(scheme.size());
}

const char* access_verb(Access access) { return access == Access::write ? "write" : "read"; }

}  // namespace

struct Routes::Table {
  /// The tokens of http.token_file and http.read_token_file, read at most every few seconds.
  class TokenFiles {
   public:
    /// The token in `path`; throws std::runtime_error naming it when it cannot be read.
    std::string token(const std::string& path) {
      std::lock_guard lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      auto it = cache_.find(path);
      if (it == cache_.end() || now - it->second.loaded > kTokenFileRefresh) {
        std::string token = read_secret_file(path);
        it = cache_.insert_or_assign(path, Cached{std::move(token), now}).first;
      }
      return it->second.token;
    }

   private:
    struct Cached {
      std::string token;
      std::chrono::steady_clock::time_point loaded;
    };
    std::mutex mutex_;
    std::map<std::string, Cached> cache_;
  };

  Table(httplib::Server& s, const LiveConfig& c) : server(s), config(c) {}

  httplib::Server& server;
  const LiveConfig& config;
  std::vector<RouteInfo> routes;
  /// routes[i].pattern compiled as httplib compiles it, to tell a 405 from a 404.
  std::vector<std::regex> patterns;
  TokenFiles tokens;
  RateLimit unreadable_log{1};

  /// True when the request may go on; otherwise fills a 401 (no or a wrong token) or a 503
  /// (a token file cannot be read, so nobody can be let in).
  bool allow(Access access, const httplib::Request& req, httplib::Response& res) {
    if (access == Access::open) return true;
    const auto current = config.get();
    const HttpConfig& http = current->http;
    // The files whose token lets this request in; none configured means the route is open.
    std::vector<const std::string*> files;
    if (access == Access::write && !http.token_file.empty()) files.push_back(&http.token_file);
    if (access == Access::read && !http.read_token_file.empty()) {
      files.push_back(&http.read_token_file);
      if (!http.token_file.empty()) files.push_back(&http.token_file);  // writers may read
    }
    if (files.empty()) return true;
    const std::string given = bearer_of(req);
    bool granted = false;
    std::string unreadable;
    for (const std::string* file : files) {
      try {
        granted |= same_token(given, tokens.token(*file));
      } catch (const std::exception& e) {
        unreadable = e.what();
      }
    }
    if (granted) return true;
    if (!unreadable.empty()) {
      std::uint64_t suppressed = 0;
      if (unreadable_log.allow(suppressed))
        component_log("http")->error("{}: answering 503 until the token file can be read",
                                     unreadable);
      send_error(res, 503, "token file unreadable");
      return false;
    }
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, std::string("a valid bearer token is required to ") + access_verb(access));
    return false;
  }
};

Routes::Routes(httplib::Server& server, const LiveConfig& config)
    : table_(std::make_shared<Table>(server, config)) {}

void Routes::Get(const std::string& pattern, Handler handler) {
  add("GET", pattern, access_.value_or(Access::read), std::move(handler));
}

void Routes::Post(const std::string& pattern, Handler handler) {
  add("POST", pattern, access_.value_or(Access::write), std::move(handler));
}

Routes Routes::with_access(Access access) const {
  Routes copy = *this;
  copy.access_ = access;
  return copy;
}

const std::vector<RouteInfo>& Routes::registered() const { return table_->routes; }

std::vector<std::string> Routes::methods_at(const std::string& path) const {
  std::set<std::string> methods;
  for (std::size_t i = 0; i < table_->routes.size(); ++i) {
    if (!std::regex_match(path, table_->patterns[i])) continue;
    methods.insert(table_->routes[i].method);
    if (table_->routes[i].method == "GET") methods.insert("HEAD");
  }
  return {methods.begin(), methods.end()};
}

void Routes::add(const char* method, const std::string& pattern, Access access, Handler handler) {
  table_->routes.push_back({method, pattern, access});
  table_->patterns.emplace_back(pattern);
  auto guarded = [table = table_, access, handler = std::move(handler)](const httplib::Request& req,
                                                                        httplib::Response& res) {
    if (table->allow(access, req, res)) handler(req, res);
  };
  if (std::string_view(method) == "GET")
    table_->server.Get(pattern, std::move(guarded));
  else
    table_->server.Post(pattern, std::move(guarded));
}

void send_json(httplib::Response& res, int status, std::string body) {
  // What set_content does, without copying the body: a year of hourly steps is a megabyte.
  res.status = status;
  res.body = std::move(body);
  res.headers.erase("Content-Type");
  res.set_header("Content-Type", "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  // The message may quote what the client sent, which need not be UTF-8: json_text never throws.
  send_json(res, status, json_text(nlohmann::json{{"error", message}}));
}

HttpApi::HttpApi(std::string listen, HttpDeps deps)
    : listen_(std::move(listen)),
      deps_(std::move(deps)),
      server_(std::make_unique<httplib::Server>()),
      routes_(*server_, deps_.config) {}

namespace {

/// GET /readyz: 200 when connected to the broker and PostgreSQL with a writable spool, else 503
/// with what is down; a standby (or an instance stepping down) is 503 whatever it is connected to.
std::pair<int, nlohmann::json> readiness_answer(const Readiness& r) {
  nlohmann::json body = {{"mqtt", r.mqtt ? "up" : "down"},
                         {"postgres", r.postgres ? "up" : "down"},
                         {"spool", r.spool ? "writable" : "unwritable"}};
  if (!r.role.empty()) {
    body["role"] = r.role;
    body["instance"] = r.instance;
    body["active"] = r.active.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.active);
  }
  if (!r.role.empty() && r.role != "active") {
    // A standby is healthy (/healthz) but takes no input: load balancers and checks send
    // readers and writers to the active.
    body["status"] = r.role == "standby" ? "standby" : "not ready";
    body["error"] = r.role == "standby"
                        ? "standby: " + (r.active.empty() ? std::string("no instance") : r.active) +
                              " is the active instance"
                        : "stepping down: this instance lost the cluster lease";
    return {503, body};
  }
  if (r.mqtt && r.postgres && r.spool) {
    body["status"] = "ready";
    return {200, body};
  }
  std::string down;
  if (!r.mqtt) down += "mqtt broker" + (r.mqtt_error.empty() ? "" : " (" + r.mqtt_error + ")");
  if (!r.postgres)
    down += std::string(down.empty() ? "" : ", ") + "postgresql" +
            (r.postgres_error.empty() ? "" : " (" + r.postgres_error + ")");
  if (!r.spool) down += std::string(down.empty() ? "" : ", ") + "spool (" + r.spool_error + ")";
  body["status"] = "not ready";
  body["error"] = "down: " + down;
  return {503, body};
}

}  // namespace

HttpApi::~HttpApi() { stop(); }

const std::vector<RouteInfo>& HttpApi::registered_routes() const { return routes_.registered(); }

void HttpApi::register_routes() {
  // Probes, the API description and the dashboard's page and assets carry no readings, so
  // they stay open when http.read_token_file is set; /metrics too (process-wide counters, no
  // building or room): load balancers, systemd checks and scrapers need no token.
  Routes open = routes_.with_access(Access::open);
  open.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  open.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const auto [status, body] = readiness_answer(deps_.readiness());
    res.status = status;
    res.set_content(json_text(body), "application/json");
  });
  open.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::string text = deps_.metrics.render();
    if (deps_.alarms) render_alarm_metrics(*deps_.alarms, text);
    render_process_metrics(text);
    res.set_content(text, "text/plain; version=0.0.4");
  });
  register_openapi_route(open);
  register_dashboard_routes(open);
  // The rest needs the read token for GET and the write token for POST, when configured.
  register_live_routes(routes_, deps_);
  register_history_routes(routes_, deps_);
  register_overview_routes(routes_, deps_);
  register_alarm_routes(routes_, deps_);
  register_compat_routes(routes_, deps_);
  auto& s = *server_;
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(std::move(ep));
        } catch (const BadRequest& e) {
          return send_error(res, 400, e.what());
        } catch (const NotFound& e) {
          return send_error(res, 404, e.what());
        } catch (const Unavailable& e) {
          return send_error(res, 503, e.what());
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        component_log("http")->error("{} {}: {}", req.method, req.path, what);
        send_error(res, 500, "internal error");
      });
  s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    // What cpp-httplib refuses by itself, in the statuses the README's REST API section lists.
    // Its router answers 404 to a method no route serves at a path (400 to CONNECT and TRACE,
    // which it never routes); when some route does serve the path, that is a 405.
    const bool unrouted = res.status == 404 ||
                          (res.status == 400 && (req.method == "CONNECT" || req.method == "TRACE"));
    if (unrouted) {
      const auto allowed = routes_.methods_at(req.path);
      if (!allowed.empty() &&
          std::find(allowed.begin(), allowed.end(), req.method) == allowed.end()) {
        std::string allow;
        for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
        res.set_header("Allow", allow);
        return send_error(res, 405, req.method + " is not allowed here; allowed: " + allow);
      }
    }
    if (res.status == 404) {
      send_error(res, 404, "not found");
    } else if (res.status >= 500) {
      send_error(res, 503, "the server could not answer");
    } else {
      send_error(res, 400,
                 res.status == 413   ? "the request body is larger than 1 MiB"
                 : res.status == 414 ? "the request line is too long"
                                     : "bad request");
    }
  });
}

void HttpApi::start() {
  std::string host;
  int port;
  if (!split_host_port(listen_, host, port))
    throw std::runtime_error("http.listen: cannot parse '" + listen_ + "'");
  register_routes();
  server_->set_logger(
      [&metrics = deps_.metrics](const httplib::Request&, const httplib::Response&) {
        metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
      });
  server_->set_payload_max_length(1 << 20);
  // Without TCP_NODELAY every keep-alive answer waits for the client's delayed ACK (~40 ms):
  // 35 requests/s per connection instead of thousands.
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(100);
  // A keep-alive connection holds its worker thread: enough workers for a few dashboards and
  // scrapers at once (the default is 8).
  server_->new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  const bool bound = port == 0 ? (port = server_->bind_to_any_port(host.c_str())) > 0
                               : server_->bind_to_port(host.c_str(), port);
  if (!bound)
    throw std::runtime_error("cannot listen on " + listen_ + " (address in use or not local?)");
  port_ = port;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  component_log("http")->info("REST API on http://{}",
                              listen_.substr(0, listen_.rfind(':') + 1) + std::to_string(port_));
}

void HttpApi::stop() {
  if (thread_.joinable()) {
    // stop() only takes effect once the listener runs; it starts right after bind.
    for (int i = 0; i < 200 && !server_->is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server_->stop();
    thread_.join();
  }
}

}  // namespace roomtemp

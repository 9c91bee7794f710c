#include "http_api.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "config.h"
#include "dashboard.h"
#include "ingest.h"
#include "log.h"
#include "openapi.h"
#include "rest_params.h"

namespace roomtemp {

namespace {
constexpr std::size_t kHttpThreads = 32;
}  // namespace

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  // The message may quote what the client sent, which need not be UTF-8; a throwing dump here
  // would escape the exception handler and terminate the process.
  res.set_content(nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace),
                  "application/json");
}

HttpApi::HttpApi(std::string listen, HttpDeps deps)
    : listen_(std::move(listen)), deps_(std::move(deps)), server_(std::make_unique<httplib::Server>()) {}

HttpApi::~HttpApi() { stop(); }

void HttpApi::register_routes() {
  auto& s = *server_;
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const Readiness r = deps_.readiness();
    nlohmann::json body = {{"mqtt", r.mqtt ? "up" : "down"},
                           {"postgres", r.postgres ? "up" : "down"}};
    if (r.mqtt && r.postgres) {
      body["status"] = "ready";
      res.status = 200;
    } else {
      std::string down;
      if (!r.mqtt) down += "mqtt broker" + (r.mqtt_error.empty() ? "" : " (" + r.mqtt_error + ")");
      if (!r.postgres)
        down += std::string(down.empty() ? "" : ", ") + "postgresql" +
                (r.postgres_error.empty() ? "" : " (" + r.postgres_error + ")");
      body["status"] = "not ready";
      body["error"] = "down: " + down;
      res.status = 503;
    }
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(deps_.metrics.render(), "text/plain; version=0.0.4");
  });
  register_live_routes(s, deps_);
  register_history_routes(s, deps_);
  register_openapi_route(s);
  register_dashboard_routes(s);
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                             std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
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
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      const char* msg = res.status == 404 ? "not found" : "error";
      send_error(res, res.status, msg);
    }
  });
}

void HttpApi::start() {
  std::string host;
  int port;
  if (!split_host_port(listen_, host, port))
    throw std::runtime_error("http.listen: cannot parse '" + listen_ + "'");
  register_routes();
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
  if (!server_->bind_to_port(host.c_str(), port))
    throw std::runtime_error("cannot listen on " + listen_ + " (address in use or not local?)");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  component_log("http")->info("REST API on http://{}", listen_);
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

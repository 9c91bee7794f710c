#pragma once
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace roomtemp {

class Ingest;
class Aggregator;
struct Config;

/// What /readyz reports.
struct Readiness {
  bool mqtt = false;
  bool postgres = false;
  std::string mqtt_error;
  std::string postgres_error;
};

/// What the REST handlers read from the rest of the daemon.
struct HttpDeps {
  Metrics& metrics;
  Ingest& ingest;
  Aggregator& aggregator;
  std::function<Readiness()> readiness;
  /// The current configuration (it changes on SIGHUP).
  std::function<std::shared_ptr<const Config>()> config;
};

/// Route groups, each in its own file, registered by HttpApi.
void register_live_routes(httplib::Server& server, HttpDeps& deps);     // rest_live.cpp
void register_history_routes(httplib::Server& server, HttpDeps& deps);  // rest_history.cpp

/// The REST API (cpp-httplib) on its own thread pool.
class HttpApi {
 public:
  HttpApi(std::string listen, HttpDeps deps);
  ~HttpApi();

  /// Binds (throws std::runtime_error when the address is taken) and starts serving.
  void start();
  void stop();

 private:
  void register_routes();

  std::string listen_;
  HttpDeps deps_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

/// Sets a JSON error body `{"error": message}` with `status`.
void send_error(httplib::Response& res, int status, const std::string& message);

}  // namespace roomtemp

#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "live_config.h"
#include "metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace roomtemp {

class Ingest;
class Aggregator;
class AlarmEngine;
struct Config;

/// What /readyz reports.
struct Readiness {
  bool mqtt = false;
  bool postgres = false;  ///< connected and migrated
  bool spool = true;      ///< the spool can be written (else an outage would lose readings)
  std::string mqtt_error;
  std::string postgres_error;
  std::string spool_error;
  /// Active/standby (README "Standby and failover"): "" when alone, else "active", "standby"
  /// or "stepping down"; the active instance's name as last seen, and this one's.
  std::string role;
  std::string active;
  std::string instance;
};

/// What the REST handlers read from the rest of the daemon.
struct HttpDeps {
  Metrics& metrics;
  Ingest& ingest;
  Aggregator& aggregator;
  std::function<Readiness()> readiness;
  /// The configuration in force (a SIGHUP swaps it).
  const LiveConfig& config;
  /// Firing alarms and silent series (GET /v1/alarms, /metrics); null: none are kept.
  const AlarmEngine* alarms = nullptr;
};

/// Which bearer token a route needs, when tokens are configured.
enum class Access {
  open,   ///< never: probes, the dashboard's page and assets, the API description
  read,   ///< http.read_token_file's token (or the write token) when read_token_file is set
  write,  ///< http.token_file's token when token_file is set
};

/// One route as registered: an httplib pattern (a regex, anchored) and who may call it.
struct RouteInfo {
  std::string method;   ///< "GET" or "POST"
  std::string pattern;  ///< e.g. "/v1/buildings/([^/]+)/rooms"
  Access access;
};

/// The one place REST routes are registered: records each (method, pattern), puts the bearer
/// token check its Access asks for in front of its handler, and hands it to httplib (which
/// cannot list its routes). Copies share one table; `with_access` gives a copy whose routes
/// all have that access.
class Routes {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  Routes(httplib::Server& server, const LiveConfig& config);

  /// Access::read unless this copy says otherwise.
  void Get(const std::string& pattern, Handler handler);
  /// Access::write unless this copy says otherwise.
  void Post(const std::string& pattern, Handler handler);

  /// This table, registering every route with `access`.
  Routes with_access(Access access) const;

  /// Every route registered so far, in order.
  const std::vector<RouteInfo>& registered() const;

  /// The methods some route serves at `path`, as an `Allow` header lists them ("GET, HEAD":
  /// httplib answers HEAD wherever it answers GET); empty when no route's pattern matches.
  std::vector<std::string> methods_at(const std::string& path) const;

 private:
  struct Table;
  void add(const char* method, const std::string& pattern, Access access, Handler handler);

  std::shared_ptr<Table> table_;
  std::optional<Access> access_;
};

/// Route groups, each in its own file, registered by HttpApi.
void register_live_routes(Routes& routes, HttpDeps& deps);      // rest_live.cpp
void register_history_routes(Routes& routes, HttpDeps& deps);   // rest_history.cpp
void register_overview_routes(Routes& routes, HttpDeps& deps);  // rest_overview.cpp
void register_alarm_routes(Routes& routes, HttpDeps& deps);     // rest_alarms.cpp
/// The calls of the services roomtemp replaces (README, "Coming from another service"): the room
/// services' (FastAPI, Flask) here, register_sensor_routes' (the sensor-id service's) and
/// register_device_routes' (the device dashboard's).
void register_compat_routes(Routes& routes, HttpDeps& deps);  // rest_compat.cpp
void register_sensor_routes(Routes& routes, HttpDeps& deps);  // rest_compat_sensors.cpp
void register_device_routes(Routes& routes, HttpDeps& deps);  // rest_compat_devices.cpp

/// The REST API (cpp-httplib) on its own thread pool.
class HttpApi {
 public:
  HttpApi(std::string listen, HttpDeps deps);
  ~HttpApi();

  /// Binds (throws std::runtime_error when the address is taken) and starts serving. Port 0
  /// binds a free port (tests): see port().
  void start();
  void stop();

  /// The port it listens on, once started.
  int port() const { return port_; }

  /// Every route the server answers (besides its 404), once started: /openapi.json is checked
  /// against this list.
  const std::vector<RouteInfo>& registered_routes() const;

 private:
  void register_routes();

  std::string listen_;
  HttpDeps deps_;
  std::unique_ptr<httplib::Server> server_;
  Routes routes_;
  int port_ = 0;
  std::thread thread_;
};

/// Answers `status` with the JSON text `body`.
void send_json(httplib::Response& res, int status, std::string body);

/// Sets a JSON error body `{"error": message}` with `status`.
void send_error(httplib::Response& res, int status, const std::string& message);

}  // namespace roomtemp

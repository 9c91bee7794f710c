#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/broker.h"
#include "harness/net.h"
#include "harness/postgres.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace roomtemp::harness {

/// What default_config varies; everything else is the README's "Configuration" default.
struct ConfigOptions {
  std::string database = "roomtemp";
  std::string dsn{};                         ///< "" → `pg`'s DSN for `database`
  std::string client_id{};                   ///< "" → a unique one
  std::vector<std::string> subscriptions{};  ///< empty → the default buildings/+/rooms/+/+
  /// The body of the `metrics:` section, each line indented two spaces; "" → temperature only.
  std::string metrics{};
  std::string batch_max_delay = "50ms";
  std::string log_level = "debug";
  bool journal = false;
  bool migrate = true;
  /// Lines of `averages:` body (indented two spaces), e.g. "  max_future_skew: 1m\n".
  std::string averages{};
  /// Whole top-level sections appended as they are, e.g. "alarms:\n  - {…}\nsilence: …\n".
  std::string extra{};
};

/// A config per the README's "Configuration" for a daemon talking to `broker` and `pg`: spool in
/// `dir`/spool, REST API on 127.0.0.1 and a free port, batch_max_delay 50ms, log level debug.
std::string default_config(const Broker& broker, const Postgres& pg, const TempDir& dir,
                           const ConfigOptions& options = {});

/// A name no other test in this run uses (client ids, databases): prefix + pid + counter.
std::string unique_name(const std::string& prefix);

/// The path of build/bin/roomtempd: $ROOMTEMP_BIN_DIR if set, else the build's bin dir.
std::string roomtempd_path();

/// Runs roomtempd with `args` (e.g. --version) to completion.
RunResult run_roomtempd(const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// How a Daemon is started, beyond its config.
struct DaemonOptions {
  /// Environment variables set for roomtempd on top of ours (e.g. NOTIFY_SOCKET, WATCHDOG_USEC).
  std::vector<std::pair<std::string, std::string>> env{};
};

/// The real roomtempd, started by the constructor with its config written to a file, stdout
/// and stderr going to a log file. The destructor stops it (SIGTERM, then SIGKILL after
/// 10 s) and prints its log when the test failed.
class Daemon {
 public:
  explicit Daemon(std::string config_yaml, DaemonOptions options = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Starts it (again) with the same config file.
  void start();
  bool running() { return process_.running(); }
  pid_t pid() const { return process_.pid(); }
  /// Polls GET /readyz until 200; false when `timeout` passes or the process exits.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// One series from its GET /metrics; -1 when the scrape failed or the series is missing.
  double metric(const std::string& series) const;
  /// Polls GET `path` every 50 ms until it answers `status` (0: any answer at all) or
  /// `timeout` passes; returns the last response either way (status 0: none).
  HttpResponse poll_get(const std::string& path, int status,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// Polls like the above until the answer is `status` and its body contains `text`: a
  /// reason comes later than the status itself (/readyz says 503 before the failed attempt
  /// that tells it why).
  HttpResponse poll_get(const std::string& path, int status, const std::string& text,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15)) const;
  /// SIGTERM (a clean stop).
  void terminate();
  /// Its exit code once it exits, or nullopt after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// SIGKILL (a crash).
  void kill();
  /// SIGTERM, wait (SIGKILL after `stop_timeout`), start again; returns the exit code of the
  /// stop (nullopt when it had to be killed).
  std::optional<int> restart(std::chrono::milliseconds stop_timeout = std::chrono::seconds(10));
  /// Sends any signal (e.g. SIGHUP).
  void signal(int sig) const { process_.signal(sig); }
  /// SIGSTOP, returning once every thread has stopped (Process::freeze).
  bool freeze(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return process_.freeze(timeout);
  }

  /// Everything it printed, across restarts.
  std::string log() const;
  const std::string& config_path() const { return config_path_; }
  /// Replaces the config file (for reload tests); takes effect on SIGHUP or restart. A file
  /// that is not valid YAML leaves http_port() and spool_dir() as they were (the running
  /// daemon keeps its old config).
  void write_config(const std::string& yaml);
  /// The port of http.listen (0 when disabled).
  int http_port() const { return http_port_; }
  /// spool.dir of the config (the README's "Configuration" default when the config does not set
  /// it).
  const std::string& spool_dir() const { return spool_dir_; }
  /// The environment set on top of ours; a change takes effect at the next start().
  void set_env(std::vector<std::pair<std::string, std::string>> env) {
    options_.env = std::move(env);
  }
  /// GET on its REST API.
  HttpResponse http_get(const std::string& path,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  TempDir dir_{"roomtemp-d"};
  DaemonOptions options_;
  std::string config_path_;
  std::string log_path_;
  int http_port_ = 0;
  std::string spool_dir_ = "/var/lib/roomtemp/spool";
  Process process_;
};

}  // namespace roomtemp::harness

#include "harness/daemon.h"

#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "harness/stream.h"
#include "harness/wait.h"

#ifndef ROOMTEMP_BIN_DIR
#error "ROOMTEMP_BIN_DIR must name the directory holding roomtempd"
#endif

namespace roomtemp::harness {

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

std::string roomtempd_path() {
  if (const char* dir = std::getenv("ROOMTEMP_BIN_DIR"); dir && *dir)
    return std::string(dir) + "/roomtempd";
  return std::string(ROOMTEMP_BIN_DIR) + "/roomtempd";
}

RunResult run_roomtempd(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  ProcessSpec spec;
  spec.argv.push_back(roomtempd_path());
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  return run(std::move(spec), timeout);
}

std::string default_config(const Broker& broker, const Postgres& pg, const TempDir& dir,
                           const ConfigOptions& o) {
  const std::string client_id = o.client_id.empty() ? unique_name("roomtempd_it") : o.client_id;
  std::string y;
  y += "mqtt:\n";
  y += "  host: 127.0.0.1\n";
  y += "  port: " + std::to_string(broker.port()) + "\n";
  y += "  client_id: " + client_id + "\n";
  y += "  clean_session: false\n";
  y += "  qos: 1\n";
  y += "  keepalive: 30s\n";
  if (!o.subscriptions.empty()) {
    y += "  subscriptions:\n";
    for (const auto& s : o.subscriptions) y += "    - \"" + s + "\"\n";
  }
  y += "postgres:\n";
  y += "  dsn: \"" + (o.dsn.empty() ? pg.dsn(o.database) : o.dsn) + "\"\n";
  y += std::string("  migrate: ") + (o.migrate ? "true" : "false") + "\n";
  y += "  batch_max_rows: 5000\n";
  y += "  batch_max_delay: " + o.batch_max_delay + "\n";
  y += "spool:\n";
  y += "  dir: " + dir.file("spool") + "\n";
  y += std::string("  journal: ") + (o.journal ? "true" : "false") + "\n";
  y += "metrics:\n";
  y += o.metrics.empty() ? "  temperature: { min: -60, max: 100, unit: \"°C\" }\n" : o.metrics;
  if (!o.averages.empty()) y += "averages:\n" + o.averages;
  y += "http:\n";
  y += "  listen: 127.0.0.1:" + std::to_string(free_port()) + "\n";
  y += "log:\n";
  y += "  level: " + o.log_level + "\n";
  y += o.extra;
  return y;
}

Daemon::Daemon(std::string config_yaml, DaemonOptions options)
    : options_(std::move(options)),
      config_path_(dir_.file("roomtemp.yaml")),
      log_path_(dir_.file("roomtempd.log")) {
  write_config(config_yaml);
  start();
}

Daemon::~Daemon() {
  if (test_failed()) print_tail("roomtempd log " + log_path_, log(), 150);
  if (process_.running()) {
    process_.signal(SIGTERM);
    if (!process_.wait_exit(std::chrono::seconds(10))) process_.kill();
  }
}

void Daemon::write_config(const std::string& yaml) {
  write_file(config_path_, yaml);
  try {
    const YAML::Node root = YAML::Load(yaml);
    int port = 0;
    if (root["http"] && root["http"]["listen"]) {
      const std::string listen = root["http"]["listen"].as<std::string>();
      if (auto colon = listen.rfind(':'); colon != std::string::npos)
        port = std::stoi(listen.substr(colon + 1));
    } else if (!root["http"]) {
      port = 8080;  // the default listen address
    }
    std::string spool = "/var/lib/roomtemp/spool";
    if (root["spool"] && root["spool"]["dir"]) spool = root["spool"]["dir"].as<std::string>();
    http_port_ = port;
    spool_dir_ = spool;
  } catch (const std::exception&) {
    // A deliberately broken config (reload tests): the running daemon keeps its old one, so
    // the REST API stays where it was.
  }
}

void Daemon::start() {
  const std::string bin = roomtempd_path();
  if (access(bin.c_str(), X_OK) != 0)
    throw std::runtime_error(bin + " does not exist; build the roomtempd target first");
  ProcessSpec spec;
  spec.argv = {bin, "--config", config_path_};
  spec.output_file = log_path_;
  spec.env = options_.env;
  process_.start(std::move(spec));
}

bool Daemon::wait_ready(std::chrono::milliseconds timeout) {
  if (http_port_ == 0) throw std::logic_error("wait_ready needs http.listen");
  return wait_until(
             [&] {
               if (!process_.running()) return true;
               return http_get("/readyz", std::chrono::seconds(2)).status == 200;
             },
             timeout, std::chrono::milliseconds(50)) &&
         process_.running();
}

double Daemon::metric(const std::string& series) const {
  const HttpResponse r = http_get("/metrics");
  if (r.status != 200) return -1;
  return prometheus_value(r.body, series).value_or(-1);
}

HttpResponse Daemon::poll_get(const std::string& path, int status,
                              std::chrono::milliseconds timeout) const {
  HttpResponse last;
  wait_until(
      [&] {
        last = http_get(path);
        return status == 0 ? last.status != 0 : last.status == status;
      },
      timeout, std::chrono::milliseconds(50));
  return last;
}

HttpResponse Daemon::poll_get(const std::string& path, int status, const std::string& text,
                              std::chrono::milliseconds timeout) const {
  HttpResponse last;
  wait_until(
      [&] {
        last = http_get(path);
        return last.status == status && last.body.find(text) != std::string::npos;
      },
      timeout, std::chrono::milliseconds(50));
  return last;
}

void Daemon::terminate() { process_.signal(SIGTERM); }

std::optional<int> Daemon::wait_exit(std::chrono::milliseconds timeout) {
  return process_.wait_exit(timeout);
}

void Daemon::kill() { process_.kill(); }

std::optional<int> Daemon::restart(std::chrono::milliseconds stop_timeout) {
  std::optional<int> code;
  if (process_.running()) {
    terminate();
    code = wait_exit(stop_timeout);
    if (!code) process_.kill();
  } else {
    code = process_.exit_code();
  }
  start();
  return code;
}

std::string Daemon::log() const { return read_file(log_path_); }

HttpResponse Daemon::http_get(const std::string& path, std::chrono::milliseconds timeout) const {
  return harness::http_get(http_port_, path, timeout);
}

}  // namespace roomtemp::harness

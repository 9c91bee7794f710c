#pragma once
// The real REST server (HttpApi, every route the daemon registers) on a free loopback port,
// with no broker and no PostgreSQL behind it: live routes answer from an empty aggregator,
// history routes with 503, POSTed readings go into a queue nobody drains. For tests of what
// the server answers at all: which routes exist, who may call them.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include "aggregator.h"
#include "alarms.h"
#include "config.h"
#include "http_api.h"
#include "ingest.h"
#include "metrics.h"
#include "queue.h"

namespace roomtemp::rest_test {

class RestServer {
 public:
  /// Starts the server with `http` (its listen address is replaced by a free port).
  explicit RestServer(HttpConfig http = {}) {
    auto config = std::make_shared<Config>();
    // History routes reach PostgreSQL: nothing listens on port 1, so they answer 503 at once.
    config->postgres.dsn = "host=127.0.0.1 port=1 dbname=unused connect_timeout=2";
    config->http = std::move(http);
    config->http.listen = "127.0.0.1:0";
    config_.set(config);
    ingest_ = std::make_unique<Ingest>(config_, queue_, metrics_);
    aggregator_ =
        std::make_unique<Aggregator>(config->averages.windows, config->averages.dedupe_horizon);
    alarms_ = std::make_unique<AlarmEngine>(AlarmSettings{config->alarms, config->silence});
    api_ = std::make_unique<HttpApi>(config->http.listen, HttpDeps{metrics_, *ingest_, *aggregator_,
                                                                   [] {
                                                                     Readiness ready;
                                                                     ready.mqtt = ready.postgres =
                                                                         true;
                                                                     return ready;
                                                                   },
                                                                   config_, alarms_.get()});
    api_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
    client_->set_connection_timeout(5);
    client_->set_read_timeout(10);
  }

  HttpApi& api() { return *api_; }
  /// What the live routes answer from: tests feed it readings directly.
  Aggregator& aggregator() { return *aggregator_; }
  /// What GET /v1/alarms answers from: tests restore and drive it directly.
  AlarmEngine& alarms() { return *alarms_; }
  /// GET /metrics counts requests in here.
  const Metrics& metrics() const { return metrics_; }
  httplib::Client& client() { return *client_; }

  /// Swaps the configuration the handlers see, as a SIGHUP reload does.
  void set_http(HttpConfig http) {
    auto next = std::make_shared<Config>(*config_.get());
    http.listen = next->http.listen;
    next->http = std::move(http);
    config_.set(next);
  }

 private:
  LiveConfig config_{std::make_shared<const Config>()};
  BoundedQueue<Inbound> queue_{100000};
  Metrics metrics_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<AlarmEngine> alarms_;
  std::unique_ptr<HttpApi> api_;
  std::unique_ptr<httplib::Client> client_;
};

/// The route `pattern` (an httplib regex) with every group replaced by `value` and every
/// escaped character by itself; empty when the pattern has regex syntax beyond that.
inline std::string fill_groups(const std::string& pattern, const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += pattern[++i];
    } else if (c == '(') {
      int depth = 1;
      while (depth > 0 && ++i < pattern.size())
        depth += pattern[i] == '(' ? 1 : pattern[i] == ')' ? -1 : 0;
      if (depth != 0) return "";
      out += value;
    } else if (std::string_view("[]{}*+?|^$)").find(c) != std::string_view::npos) {
      return "";
    } else {
      out += c;
    }
  }
  return out;
}

/// A path the route `pattern` matches, each parameter being "B1"; empty when there is none.
inline std::string concrete_path(const std::string& pattern) {
  const std::string path = fill_groups(pattern, "B1");
  return !path.empty() && std::regex_match(path, std::regex(pattern)) ? path : "";
}

/// A file that holds `content`, removed with this object.
class SecretFile {
 public:
  /// `name` is made unique to this process: ctest may run tests side by side.
  SecretFile(const std::string& name, const std::string& content)
      : path_((std::filesystem::path(::testing::TempDir()) /
               (name + "-" + std::to_string(::getpid())))
                  .string()) {
    std::ofstream(path_) << content << "\n";
  }
  ~SecretFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace roomtemp::rest_test

#include "harness/broker.h"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

#include "harness/net.h"
#include "harness/wait.h"

namespace roomtemp::harness {

Broker::Broker(BrokerOptions options) : options_(std::move(options)) {
  auto found = find_program("mosquitto", {"/usr/sbin", "/usr/local/sbin"});
  if (!found) skip("mosquitto is not installed (apt-get install mosquitto)");
  mosquitto_ = *found;
  // Another test may take the free port before mosquitto binds it: then try another.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    write_file(dir_.file("mosquitto.conf"), config_text());
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 3) throw;
    }
  }
}

std::string Broker::config_text() const {
  std::string conf;
  // Run as root (tests in containers), mosquitto would switch to its own user and could no
  // longer write its log in our directory.
  if (geteuid() == 0) conf += "user root\n";
  conf += "listener " + std::to_string(port_) + " 127.0.0.1\n";
  const BrokerTls& tls = options_.tls;
  if (!tls.cert_file.empty()) {
    if (!tls.ca_file.empty()) conf += "cafile " + tls.ca_file + "\n";
    conf += "certfile " + tls.cert_file + "\n";
    conf += "keyfile " + tls.key_file + "\n";
    conf +=
        std::string("require_certificate ") + (tls.require_certificate ? "true" : "false") + "\n";
  }
  conf += std::string("allow_anonymous ") + (options_.allow_anonymous ? "true" : "false") + "\n";
  if (!options_.password_file.empty()) conf += "password_file " + options_.password_file + "\n";
  if (!options_.acl_file.empty()) conf += "acl_file " + options_.acl_file + "\n";
  // The default of 1000 silently drops QoS 1 messages queued for an offline durable client.
  conf += "max_queued_messages 1000000\n";
  if (options_.persistence) {
    conf += "persistence true\n";
    conf += "persistence_location " + dir_.path() + "/\n";
  } else {
    conf += "persistence false\n";
  }
  conf += "log_dest file " + dir_.file("mosquitto.log") + "\n";
  conf += "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  conf += "connection_messages true\n";
  conf += options_.extra_config;
  if (!conf.empty() && conf.back() != '\n') conf += "\n";
  return conf;
}

Broker::~Broker() {
  if (test_failed()) print_tail("mosquitto log " + dir_.file("mosquitto.log"), log(), 60);
  if (process_.running()) {
    process_.signal(SIGTERM);
    if (!process_.wait_exit(std::chrono::seconds(5))) process_.kill();
  }
}

void Broker::start() {
  if (process_.running()) return;
  // Up once it logs "running" (again, after a restart): mosquitto says so only after it has
  // bound every listener, and exits instead when a port is taken, so the line proves that
  // this broker (its own log file) listens on port_. No connection to find out: a probe that
  // hangs up is a client the tests would see in the broker's log (on a TLS listener, an
  // "OpenSSL Error" when mosquitto had begun the handshake before the hang-up).
  auto runs = [&] {
    const std::string text = log();
    std::size_t n = 0;
    for (auto p = text.find(" running"); p != std::string::npos; p = text.find(" running", p + 1))
      ++n;
    return n;
  };
  const std::size_t before = runs();
  ProcessSpec spec;
  spec.argv = {mosquitto_, "-c", dir_.file("mosquitto.conf")};
  spec.output_file = dir_.file("mosquitto.out");
  spec.cwd = dir_.path();
  process_.start(std::move(spec));
  const bool up = wait_until([&] { return !process_.running() || runs() > before; }, 10s, 10ms);
  if (!up || !process_.running()) {
    process_.kill();
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ":\n" +
                             read_file(dir_.file("mosquitto.out")) + log());
  }
}

void Broker::stop() {
  if (!process_.running()) return;
  process_.signal(SIGTERM);
  if (!process_.wait_exit(std::chrono::seconds(10))) process_.kill();
}

std::string Broker::log() const { return read_file(dir_.file("mosquitto.log")); }

}  // namespace roomtemp::harness

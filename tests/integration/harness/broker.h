#pragma once
#include <memory>
#include <string>

#include "harness/process.h"
#include "harness/temp_dir.h"

namespace roomtemp::harness {

/// A TLS listener's files (mosquitto.conf cafile, certfile, keyfile); TLS is on when
/// cert_file is set.
struct BrokerTls {
  std::string ca_file{};    ///< the CA that client certificates must chain to
  std::string cert_file{};  ///< the broker's own certificate
  std::string key_file{};
  /// Clients must present a certificate signed by ca_file.
  bool require_certificate = false;
};

struct BrokerOptions {
  /// Keep sessions and queued messages across stop()/start() (a broker restart that loses
  /// nothing); otherwise a restart forgets every session.
  bool persistence = false;
  /// false: only clients with a username (and password, when password_file is set) get in.
  bool allow_anonymous = true;
  /// A mosquitto_passwd file; "" → none.
  std::string password_file{};
  /// A mosquitto ACL file; "" → every client may read and write everything.
  std::string acl_file{};
  BrokerTls tls{};
  /// Lines appended to mosquitto.conf.
  std::string extra_config{};
};

/// A throw-away mosquitto on 127.0.0.1 and a free port, started by the constructor. Skips the
/// test (exit 77) when mosquitto is not installed.
class Broker {
 public:
  explicit Broker(BrokerOptions options = {});
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Starts it again on the same port (after stop()); waits until it logs that it runs,
  /// without connecting (the tests see every client in its log).
  void start();
  /// SIGTERM, then wait for it to exit (SIGKILL after 10 s).
  void stop();
  bool running() { return process_.running(); }
  int port() const { return port_; }
  /// The broker's own log.
  std::string log() const;
  const std::string& dir() const { return dir_.path(); }

 private:
  std::string config_text() const;

  BrokerOptions options_;
  TempDir dir_{"roomtemp-mqtt"};
  std::string mosquitto_;
  int port_ = 0;
  Process process_;
};

}  // namespace roomtemp::harness

#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>

#include "log.h"

struct mosquitto;

namespace roomtemp::sim {

/// How to reach the broker.
struct BrokerSettings {
  std::string host;
  int port = 1883;
  std::string client_id;
  std::string username;
  std::string password;  ///< the password itself, read from --password-file
  std::string tls_ca;    ///< non-empty: TLS, verifying the broker against this CA
  int qos = 0;
  int max_inflight = 1000;
  std::chrono::seconds keepalive{30};
};

/// The broker could not be reached or refused us.
class ConnectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One MQTT 3.1.1 client with libmosquitto's network thread (`mosquitto_loop_start`),
/// publishing from the caller's thread. Counts what the broker acknowledged (QoS 1 PUBACK,
/// QoS 2 PUBCOMP) or, at QoS 0, what was written to the socket, and keeps the number of
/// unacknowledged messages bounded so memory stays flat however fast the caller is.
class Publisher {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Publisher(BrokerSettings settings);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// Connects and waits for the broker's CONNACK. Throws ConnectError. Returns false when
  /// `stop` was requested first.
  bool connect(std::chrono::milliseconds timeout, std::stop_token stop);

  enum class Outcome { queued, no_connection, failed };

  /// Hands one message to libmosquitto. QoS 1/2 messages are queued even while the
  /// connection is down (libmosquitto resends them); QoS 0 ones then fail with
  /// no_connection. Call wait_for_capacity() first to keep the queue bounded.
  Outcome publish(const std::string& topic, const std::string& payload);

  /// Waits until fewer than max_inflight messages are unacknowledged (or, at QoS 0, while
  /// disconnected, until connected again). False when `stop` or `deadline` came first.
  bool wait_for_capacity(std::stop_token stop, Clock::time_point deadline);

  /// Waits until every message is acknowledged (QoS ≥ 1) or written (QoS 0), then
  /// disconnects cleanly. False when `timeout` passed or `abort` was requested first.
  bool finish(std::chrono::milliseconds timeout, std::stop_token abort);

  std::uint64_t published() const { return published_.load(); }
  /// Acknowledged by the broker (QoS ≥ 1) or written to the socket (QoS 0).
  std::uint64_t acknowledged() const { return completed_.load(); }
  std::int64_t in_flight() const;
  bool connected() const { return connected_.load(); }

 private:
  struct MosquittoDeleter {
    void operator()(mosquitto* m) const;
  };

  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_publish(mosquitto*, void* self, int mid);
  static void on_log(mosquitto*, void* self, int level, const char* text);
  // Records why the connection failed before the first CONNACK; false if it came already.
  bool fail_connect(const std::string& why);

  // Waits until in_flight() <= limit (or `also` holds); false on stop or deadline.
  template <typename Pred>
  bool wait_until(std::stop_token stop, Clock::time_point deadline, std::int64_t limit, Pred also);
  void notify();

  BrokerSettings settings_;
  std::unique_ptr<mosquitto, MosquittoDeleter> mosq_;
  bool loop_started_ = false;
  std::shared_ptr<spdlog::logger> log_;
  RateLimit publish_errors_{1};

  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> completed_{0};
  // QoS 0 messages still queued when the connection drops are discarded by libmosquitto
  // without a callback; they stop counting as in flight.
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> connected_{false};
  std::atomic<bool> disconnected_cleanly_{false};
  static constexpr int kFailedBeforeConnack = 1000;
  /// -1 until the first CONNACK, then its code, or kFailedBeforeConnack with first_error_.
  std::atomic<int> first_connack_{-1};
  std::mutex error_mutex_;
  std::string first_error_;
  RateLimit library_errors_{5};
  // The network thread wakes the publishing thread only once in_flight() falls to this
  // many, so a waiting publisher sleeps through a whole batch of acks, not one per ack.
  std::atomic<std::int64_t> wake_threshold_{-1};

  std::mutex mutex_;
  std::condition_variable_any changed_;
};

}  // namespace roomtemp::sim

#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace roomtemp::harness {

/// One message a subscription received.
struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
};

/// A topic and payload to publish.
struct Publication {
  std::string topic;
  std::string payload;
};

struct MqttClientOptions {
  std::string client_id{};  ///< "" → a unique one
  bool clean_session = true;
  int keepalive_seconds = 30;
  std::string host = "127.0.0.1";  ///< also the name a TLS server certificate must carry
  std::string username{};          ///< "" → anonymous
  std::string password{};
  std::string tls_ca_file{};  ///< TLS (verifying the broker against this CA) when set
  std::string tls_cert_file{};
  std::string tls_key_file{};
};

/// A real MQTT client (libmosquitto, MQTT 3.1.1, threaded network loop), by default on
/// 127.0.0.1. The constructor throws when the broker refuses it or no CONNACK comes in 10 s.
/// Reconnects on its own (and resubscribes) when the broker restarts. Every wait is bounded;
/// a wait that times out throws std::runtime_error.
class MqttClient {
 public:
  explicit MqttClient(int port, MqttClientOptions options = {});
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  /// Publishes one message; with `wait_ack`, waits until the broker has acknowledged it (and
  /// everything published before it). While the broker is away, QoS >= 1 messages wait in
  /// libmosquitto and go out (and are acknowledged) after the reconnect.
  void publish(const std::string& topic, const std::string& payload, int qos = 1,
               bool retain = false, bool wait_ack = true);
  /// Publishes all of them in order, keeping at most `window` unacknowledged at a time, then
  /// waits until every one is acknowledged.
  void publish_many(const std::vector<Publication>& messages, int qos = 1, std::size_t window = 200,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));
  /// Waits until every publication so far is acknowledged (QoS 0: handed to the socket).
  void wait_all_acked(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Publications acknowledged so far.
  std::size_t acked() const;

  /// Subscribes and waits for the SUBACK; messages that match are collected from then on.
  void subscribe(const std::string& filter, int qos = 1);

  /// A copy of every message received so far, in arrival order.
  std::vector<MqttMessage> messages() const;
  /// The messages whose topic matches `filter` (MQTT wildcards allowed).
  std::vector<MqttMessage> messages_on(const std::string& filter) const;
  void clear_messages();
  /// Waits until `done(messages)` holds; false after `timeout`.
  bool wait_for(const std::function<bool(const std::vector<MqttMessage>&)>& done,
                std::chrono::milliseconds timeout);
  bool connected() const;
  /// Waits until (re)connected; false after `timeout`.
  bool wait_connected(std::chrono::milliseconds timeout);

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_publish(mosquitto*, void* self, int mid);
  static void on_subscribe(mosquitto*, void* self, int mid, int qos_count, const int* granted);
  static void on_message(mosquitto*, void* self, const mosquitto_message* msg);

  mosquitto* mosq_ = nullptr;
  int port_;
  MqttClientOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  int connect_refusal_ = 0;
  std::size_t published_ = 0;  // successful mosquitto_publish calls
  std::size_t acked_ = 0;      // on_publish callbacks
  std::size_t subacks_ = 0;
  std::vector<std::pair<std::string, int>> subscriptions_;  // resubscribed on reconnect
  std::vector<MqttMessage> messages_;
};

}  // namespace roomtemp::harness

#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "config.h"
#include "metrics.h"

struct mosquitto;
struct mosquitto_message;

namespace roomtemp {

/// True for a well-formed MQTT subscription filter: 1-65535 bytes of UTF-8 without NUL or
/// control characters, wildcards only as whole levels. Checks every byte, not up to a NUL.
bool valid_subscription(std::string_view filter);

/// True when `topic` matches subscription filter `filter` (+ and # as MQTT has them).
bool topic_matches(const std::string& filter, const std::string& topic);

/// Calls mosquitto_lib_init once per process (it is not thread-safe); call from main first.
void mqtt_library_init();

/// After mosquitto_loop: reads the packets already waiting on the socket (at most 256) without
/// a select() for each, stopping early once `while_set` (when given) is false. Returns
/// libmosquitto's error when the connection failed.
int read_waiting_packets(mosquitto* m, const std::atomic<bool>* while_set = nullptr);

/// A libmosquitto connection with its own network thread. It reconnects by itself with
/// exponential backoff. In subscriber mode it (re)subscribes on every connect and hands each
/// message to `on_message` on the network thread, so the handler must be quick or block only
/// for back-pressure.
class MqttClient {
 public:
  /// `retained`: the broker's stored copy, replayed because we (re)subscribed, not a message
  /// published just now.
  using MessageHandler =
      std::function<void(std::string_view topic, std::string_view payload, bool retained)>;

  /// `client_id` overrides config.client_id; `subscribe` false makes a publish-only client
  /// with a clean session.
  MqttClient(const MqttConfig& config, std::string client_id, bool subscribe,
             MessageHandler on_message, Metrics& metrics);
  ~MqttClient();

  /// A retained presence topic (README "Home Assistant"): `online` is published at every
  /// connect, `offline` before a clean stop, and `offline` is the connection's last will, which
  /// the broker publishes when the connection ends any other way (a crash, SIGKILL, a network
  /// cut). Call before start().
  struct Presence {
    std::string topic;
    std::string online;
    std::string offline;
  };
  void set_presence(Presence presence);

  /// Active/standby (app/cluster.h): the client connects, reconnects and publishes only while
  /// `may_act` is true. Once it is false the client never connects again (two instances under
  /// one client id would take the session from each other in turn), publish() refuses, and
  /// stop() leaves the presence topic to the instance that took over. Call before start().
  void set_fence(std::function<bool()> may_act) { may_act_ = std::move(may_act); }

  /// Starts connecting (returns at once); the network thread retries until stop(), whatever
  /// the error (libmosquitto's own loop thread would give up for good after a TLS or DNS one).
  void start();
  /// Disconnects cleanly and joins the network thread.
  void stop();

  bool connected() const { return connected_.load(); }
  /// Connected and every subscription acknowledged.
  bool ready() const { return connected_.load() && (!subscribe_ || subscribed_.load()); }
  /// Waits until ready() or the timeout passes.
  bool wait_ready(std::chrono::milliseconds timeout);
  std::string last_error() const;
  /// Connections made so far: a change tells a reconnect (subscriptions made with subscribe()
  /// are gone then on a publish-only client, whose session is clean).
  std::uint64_t connections() const { return connections_.load(); }

  /// Subscribes now (thread-safe; false when not connected). A publish-only client hands what
  /// arrives to `on_message` too; it does not subscribe again after a reconnect by itself.
  bool subscribe(const std::string& filter, int qos);
  bool unsubscribe(const std::string& filter);

  /// Publishes (thread-safe). QoS ≥ 1 messages made while disconnected wait in memory.
  bool publish(const std::string& topic, std::string_view payload, int qos, bool retain);
  /// Waits until every QoS ≥ 1 publish was acknowledged, or the timeout passes. Returns how
  /// many are still unacknowledged (QoS 0 publishes are never waited for).
  std::size_t wait_published(std::chrono::milliseconds timeout);

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_subscribe(mosquitto*, void* self, int mid, int qos_count, const int* granted);
  static void on_message(mosquitto*, void* self, const mosquitto_message* msg);
  static void on_publish(mosquitto*, void* self, int mid);
  /// libmosquitto's own error and warning lines (TLS failures above all), in our log.
  static void on_log(mosquitto*, void* self, int level, const char* text);
  /// The network thread: runs libmosquitto's loop and reconnects with backoff until stop().
  void run_network();
  /// Logs why a connection attempt failed and makes it last_error(); the same reason again
  /// within a minute is only counted, so a reconnect loop does not flood the log.
  void report_connect_failure(const std::string& why);
  /// False once the fence (set_fence) is down; says so in the log the first time.
  bool may_act();

  MqttConfig config_;
  std::string client_id_;
  bool subscribe_;
  MessageHandler handler_;
  Metrics& metrics_;
  std::function<bool()> may_act_;
  std::unique_ptr<mosquitto, void (*)(mosquitto*)> mosq_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<int> pending_subacks_{0};
  std::atomic<std::uint64_t> connections_{0};
  std::optional<Presence> presence_;
  /// Held while on_connect marks the connection up and says `online`, and while stop() decides
  /// on `offline` and says it: a stop racing a connect can neither queue `offline` before that
  /// connect's `online` nor let a connect that completes during the stop say `online`.
  /// Taken before publish_mutex_, never while holding mutex_.
  std::mutex presence_mutex_;
  bool closing_ = false;  ///< under presence_mutex_: stop() has begun, say `online` no more
  bool connected_before_ = false;  ///< network thread only: a connect after this one is a reconnect
  bool started_ = false;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string last_error_;
  /// Its own lock: held across mosquitto_publish, which may call on_log (that takes mutex_).
  std::mutex publish_mutex_;
  std::condition_variable all_published_;
  std::unordered_set<int> unacked_;  ///< message ids of QoS ≥ 1 publishes not acknowledged yet
  std::thread network_;
  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point stop_deadline_{};  // set before stopping_
  int failed_attempts_ = 0;              // since the last successful connect; sets the backoff
  std::uint64_t failures_reported_ = 0;  // connection failures reported (logged or counted)
  std::string last_reported_;            // the failure logged last; "" once connected
  std::chrono::steady_clock::time_point last_reported_at_{};
  std::uint64_t repeats_ = 0;        // failures like last_reported_ since it was logged
  bool name_check_failed_ = false;   // the last libmosquitto error was the host name check
  std::atomic<bool> fenced_{false};  // the fence went down (logged once)
};

}  // namespace roomtemp

#include "publisher.h"

#include <fmt/format.h>
#include <mosquitto.h>

#include <cerrno>
#include <cstring>

#include "mqtt_client.h"

namespace roomtemp::sim {
namespace {

// Call right after the failing libmosquitto call: MOSQ_ERR_ERRNO leaves the reason in errno.
std::string describe(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

}  // namespace

void Publisher::MosquittoDeleter::operator()(mosquitto* m) const { mosquitto_destroy(m); }

Publisher::Publisher(BrokerSettings settings)
    : settings_(std::move(settings)), log_(component_log("mqtt")) {
  mqtt_library_init();
  mosq_.reset(mosquitto_new(settings_.client_id.c_str(), /*clean_session=*/true, this));
  if (!mosq_) throw ConnectError(std::string("cannot create MQTT client: ") + std::strerror(errno));
  mosquitto* m = mosq_.get();
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  // libmosquitto keeps messages beyond this many in flight in its own queue; matching our
  // bound keeps them all on the wire.
  mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, settings_.max_inflight);
  // Without this, Nagle's algorithm and the broker's delayed ACKs stall a small window of
  // unacknowledged messages for 40 ms at a time.
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_reconnect_delay_set(m, 1, 10, false);
  mosquitto_connect_callback_set(m, &Publisher::on_connect);
  mosquitto_disconnect_callback_set(m, &Publisher::on_disconnect);
  mosquitto_publish_callback_set(m, &Publisher::on_publish);
  mosquitto_log_callback_set(m, &Publisher::on_log);
  if (!settings_.username.empty()) {
    const char* password = settings_.password.empty() ? nullptr : settings_.password.c_str();
    int rc = mosquitto_username_pw_set(m, settings_.username.c_str(), password);
    if (rc != MOSQ_ERR_SUCCESS) throw ConnectError("cannot set credentials: " + describe(rc));
  }
  if (!settings_.tls_ca.empty()) {
    int rc = mosquitto_tls_set(m, settings_.tls_ca.c_str(), nullptr, nullptr, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      throw ConnectError("cannot use TLS CA " + settings_.tls_ca + ": " + describe(rc));
  }
}

Publisher::~Publisher() {
  if (loop_started_) {
    // Not connected any more (or never): disconnect only tells the network thread to stop
    // reconnecting, so that loop_stop can join it without force.
    mosquitto_disconnect(mosq_.get());
    mosquitto_loop_stop(mosq_.get(), false);
  }
}

bool Publisher::connect(std::chrono::milliseconds timeout, std::stop_token stop) {
  const auto where = fmt::format("{}:{}", settings_.host, settings_.port);
  int rc = mosquitto_connect(mosq_.get(), settings_.host.c_str(), settings_.port,
                             static_cast<int>(settings_.keepalive.count()));
  if (rc != MOSQ_ERR_SUCCESS)
    throw ConnectError("cannot connect to " + where + ": " + describe(rc));
  rc = mosquitto_loop_start(mosq_.get());
  if (rc != MOSQ_ERR_SUCCESS) throw ConnectError("cannot start MQTT thread: " + describe(rc));
  loop_started_ = true;

  std::unique_lock lock(mutex_);
  const bool answered = changed_.wait_until(lock, stop, Clock::now() + timeout,
                                            [&] { return first_connack_.load() != -1; });
  if (!answered) {
    if (stop.stop_requested()) return false;
    throw ConnectError(fmt::format("no answer from {} within {} ms", where, timeout.count()));
  }
  const int code = first_connack_.load();
  if (code == kFailedBeforeConnack) {
    std::lock_guard error_lock(error_mutex_);
    throw ConnectError("connection to " + where + " failed: " + first_error_);
  }
  if (code != 0)
    throw ConnectError("broker " + where +
                       " refused the connection: " + mosquitto_connack_string(code));
  return true;
}

Publisher::Outcome Publisher::publish(const std::string& topic, const std::string& payload) {
  const int rc =
      mosquitto_publish(mosq_.get(), nullptr, topic.c_str(), static_cast<int>(payload.size()),
                        payload.data(), settings_.qos, false);
  // At QoS 1/2, libmosquitto 2.0.11 queues the message and then reports NO_CONN if the
  // connection is down; it still sends it after reconnecting, so it is in flight (sending
  // it again would duplicate it).
  if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && settings_.qos > 0)) {
    published_.fetch_add(1);
    return Outcome::queued;
  }
  if (rc == MOSQ_ERR_NO_CONN) return Outcome::no_connection;
  std::uint64_t suppressed = 0;
  if (publish_errors_.allow(suppressed))
    log_->warn("cannot publish to {}: {} ({} similar suppressed)", topic, describe(rc), suppressed);
  return Outcome::failed;
}

std::int64_t Publisher::in_flight() const {
  return static_cast<std::int64_t>(published_.load() - completed_.load() - dropped_.load());
}

template <typename Pred>
bool Publisher::wait_until(std::stop_token stop, Clock::time_point deadline, std::int64_t limit,
                           Pred also) {
  auto ready = [&] { return in_flight() <= limit && also(); };
  if (ready()) return true;
  std::unique_lock lock(mutex_);
  wake_threshold_.store(limit);
  const bool ok = changed_.wait_until(lock, stop, deadline, ready);
  wake_threshold_.store(-1);
  return ok;
}

bool Publisher::wait_for_capacity(std::stop_token stop, Clock::time_point deadline) {
  const bool need_connection = settings_.qos == 0;
  if (in_flight() < settings_.max_inflight && (!need_connection || connected_.load())) return true;
  // Refill from three quarters: one wake-up per batch of acks, not one per ack.
  const std::int64_t low_mark = settings_.max_inflight - (settings_.max_inflight + 3) / 4;
  return wait_until(stop, deadline, low_mark,
                    [&] { return !need_connection || connected_.load(); });
}

bool Publisher::finish(std::chrono::milliseconds timeout, std::stop_token abort) {
  const auto deadline = Clock::now() + timeout;
  if (settings_.qos > 0 && !wait_until(abort, deadline, 0, [] { return true; })) return false;
  // DISCONNECT is queued behind every PUBLISH, so once it has been written (on_disconnect
  // with rc 0) all QoS 0 messages have been written too.
  // Not connected: at QoS 0 whatever was still queued is already lost (and not counted).
  if (mosquitto_disconnect(mosq_.get()) != MOSQ_ERR_SUCCESS) return true;
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, abort, deadline, [&] { return disconnected_cleanly_.load(); });
}

void Publisher::notify() {
  std::lock_guard lock(mutex_);
  changed_.notify_all();
}

void Publisher::on_connect(mosquitto*, void* self_ptr, int rc) {
  auto* self = static_cast<Publisher*>(self_ptr);
  int expected = -1;
  if (self->first_connack_.compare_exchange_strong(expected, rc)) {
    // connect() reports it
  } else if (rc == 0) {
    self->log_->info("reconnected to {}:{}", self->settings_.host, self->settings_.port);
  } else {
    self->log_->error("broker refused the reconnection: {}", mosquitto_connack_string(rc));
  }
  self->connected_.store(rc == 0);
  self->notify();
}

void Publisher::on_disconnect(mosquitto*, void* self_ptr, int rc) {
  auto* self = static_cast<Publisher*>(self_ptr);
  self->connected_.store(false);
  if (self->settings_.qos == 0) {
    // What was still queued is gone (best effort: a publish racing with the drop may be
    // miscounted by one, which only shifts the in-flight bound).
    self->dropped_.store(self->published_.load() - self->completed_.load());
  }
  if (rc == 0) {
    self->disconnected_cleanly_.store(true);
  } else if (!self->fail_connect(std::string("closed by the broker: ") + mosquitto_strerror(rc))) {
    self->log_->warn("lost connection to {}:{}: {}; reconnecting", self->settings_.host,
                     self->settings_.port, mosquitto_strerror(rc));
  }
  self->notify();
}

bool Publisher::fail_connect(const std::string& why) {
  std::lock_guard error_lock(error_mutex_);
  int expected = -1;
  if (!first_connack_.compare_exchange_strong(expected, kFailedBeforeConnack)) return false;
  first_error_ = why;
  return true;
}

void Publisher::on_log(mosquitto*, void* self_ptr, int level, const char* text) {
  auto* self = static_cast<Publisher*>(self_ptr);
  if (level != MOSQ_LOG_ERR && level != MOSQ_LOG_WARNING) return;
  // libmosquitto's network thread gives up for good on some errors (TLS, protocol) without
  // calling on_disconnect; its log line is the only sign. Before the first CONNACK that
  // fails connect() at once instead of after its timeout.
  if (level == MOSQ_LOG_ERR && self->fail_connect(text)) {
    self->notify();
    return;
  }
  std::uint64_t suppressed = 0;
  if (self->library_errors_.allow(suppressed))
    self->log_->log(level == MOSQ_LOG_ERR ? spdlog::level::err : spdlog::level::warn,
                    "libmosquitto: {}", text);
}

void Publisher::on_publish(mosquitto*, void* self_ptr, int) {
  auto* self = static_cast<Publisher*>(self_ptr);
  self->completed_.fetch_add(1);
  if (self->in_flight() <= self->wake_threshold_.load()) self->notify();
}

}  // namespace roomtemp::sim

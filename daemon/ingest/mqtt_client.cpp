#include "mqtt_client.h"

#include <mosquitto.h>
#include <netdb.h>
#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "log.h"

namespace roomtemp {
namespace {

/// A libmosquitto error line with what it means for mqtt.*: OpenSSL names only the symptom.
std::string explain_library_error(const std::string& text, const MqttConfig& c) {
  auto has = [&](const char* s) { return text.find(s) != std::string::npos; };
  if (has("host name verification failed"))
    return "TLS: the broker's certificate does not name mqtt.host '" + c.host + "' (" + text + ")";
  if (has("certificate verify failed"))
    return "TLS: the broker's certificate failed verification with mqtt.tls.ca_file '" +
           c.tls.ca_file + "': not signed by that CA, expired or not yet valid (" + text + ")";
  if (has("alert certificate required"))
    return "TLS: the broker requires a client certificate (mqtt.tls.cert_file, key_file) (" + text +
           ")";
  if (has("alert unknown ca") || has("alert bad certificate") || has("alert certificate unknown") ||
      has("alert certificate expired") || has("alert decrypt error"))
    return "TLS: the broker refused our client certificate mqtt.tls.cert_file '" + c.tls.cert_file +
           "' (" + text + ")";
  // A plain MQTT listener answers a TLS ClientHello with garbage or by hanging up.
  if (has("wrong version number") || has("record layer failure") || has("packet length too long") ||
      has("unexpected eof while reading"))
    return "TLS: no TLS answer from " + c.host + ":" + std::to_string(c.port) +
           "; is it a TLS listener? (" + text + ")";
  if (has("OpenSSL Error")) return "TLS: " + text;
  return text;
}

}  // namespace

bool valid_subscription(std::string_view filter) {
  // mosquitto_sub_topic_check accepts "", which MQTT forbids as a filter, and stops at a NUL:
  // "a/+\0#" would pass as "a/+". The checks that take a length see every byte.
  if (filter.empty() || filter.size() > 65535) return false;
  return mosquitto_validate_utf8(filter.data(), static_cast<int>(filter.size())) ==
             MOSQ_ERR_SUCCESS &&
         mosquitto_sub_topic_check2(filter.data(), filter.size()) == MOSQ_ERR_SUCCESS;
}

bool topic_matches(const std::string& filter, const std::string& topic) {
  bool result = false;
  return mosquitto_topic_matches_sub(filter.c_str(), topic.c_str(), &result) == MOSQ_ERR_SUCCESS &&
         result;
}

void mqtt_library_init() {
  static bool done = [] {
    mosquitto_lib_init();
    // Frees what the library holds for the process (its OpenSSL UI method among them) once
    // main has returned and every client is gone.
    std::atexit([] { mosquitto_lib_cleanup(); });
    return true;
  }();
  (void)done;
}

MqttClient::MqttClient(const MqttConfig& config, std::string client_id, bool subscribe,
                       MessageHandler on_message, Metrics& metrics)
    : config_(config),
      client_id_(std::move(client_id)),
      subscribe_(subscribe),
      handler_(std::move(on_message)),
      metrics_(metrics),
      mosq_(nullptr, mosquitto_destroy) {
  mqtt_library_init();
  // The subscriber keeps a persistent session so the broker queues QoS 1 while we are away.
  const bool clean = subscribe ? config_.clean_session : true;
  mosq_.reset(mosquitto_new(client_id_.c_str(), clean, this));
  if (!mosq_) throw std::runtime_error("mosquitto_new failed for client id " + client_id_);
  mosquitto_int_option(mosq_.get(), MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_.get(), &MqttClient::on_connect);
  mosquitto_disconnect_callback_set(mosq_.get(), &MqttClient::on_disconnect);
  mosquitto_subscribe_callback_set(mosq_.get(), &MqttClient::on_subscribe);
  mosquitto_message_callback_set(mosq_.get(), &MqttClient::on_message);
  mosquitto_publish_callback_set(mosq_.get(), &MqttClient::on_publish);
  mosquitto_log_callback_set(mosq_.get(), &MqttClient::on_log);
  // Our own thread runs the loop (run_network); publishes from other threads wake it.
  mosquitto_threaded_set(mosq_.get(), true);
  // Published averages may pile up while the broker is away; let many be in flight.
  mosquitto_max_inflight_messages_set(mosq_.get(), 1000);
  if (!config_.username.empty()) {
    std::string password;
    if (!config_.password_file.empty()) password = read_secret_file(config_.password_file);
    mosquitto_username_pw_set(mosq_.get(), config_.username.c_str(),
                              config_.password_file.empty() ? nullptr : password.c_str());
  }
  if (!config_.tls.ca_file.empty()) {
    int rc = mosquitto_tls_set(
        mosq_.get(), config_.tls.ca_file.c_str(), nullptr,
        config_.tls.cert_file.empty() ? nullptr : config_.tls.cert_file.c_str(),
        config_.tls.key_file.empty() ? nullptr : config_.tls.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      throw std::runtime_error("MQTT TLS setup (mqtt.tls.ca_file '" + config_.tls.ca_file +
                               "', cert_file '" + config_.tls.cert_file + "', key_file '" +
                               config_.tls.key_file + "'): " + mosquitto_strerror(rc));
  }
}

MqttClient::~MqttClient() { stop(); }

void MqttClient::set_presence(Presence presence) {
  const int rc = mosquitto_will_set(mosq_.get(), presence.topic.c_str(),
                                    static_cast<int>(presence.offline.size()),
                                    presence.offline.data(), 1, true);
  if (rc != MOSQ_ERR_SUCCESS)
    throw std::runtime_error("MQTT last will on " + presence.topic + ": " + mosquitto_strerror(rc));
  presence_ = std::move(presence);
}

bool MqttClient::subscribe(const std::string& filter, int qos) {
  if (!connected_) return false;
  const int rc = mosquitto_subscribe(mosq_.get(), nullptr, filter.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS)
    component_log("mqtt")->warn("subscribe {}: {}", filter, mosquitto_strerror(rc));
  return rc == MOSQ_ERR_SUCCESS;
}

bool MqttClient::unsubscribe(const std::string& filter) {
  if (!connected_) return false;
  return mosquitto_unsubscribe(mosq_.get(), nullptr, filter.c_str()) == MOSQ_ERR_SUCCESS;
}

void MqttClient::start() {
  if (started_) return;
  started_ = true;
  stopping_ = false;
  {
    std::lock_guard lock(presence_mutex_);
    closing_ = false;
  }
  network_ = std::thread([this] { run_network(); });
}

void MqttClient::stop() {
  if (!started_) return;
  started_ = false;
  // A clean DISCONNECT discards the last will: say `offline` ourselves, and wait (briefly) until
  // the broker has it. A connect that completes from now on says nothing.
  bool said_offline = false;
  {
    std::lock_guard lock(presence_mutex_);
    closing_ = true;
    if (presence_ && connected_ && may_act()) {
      publish(presence_->topic, presence_->offline, 1, true);
      said_offline = true;
    }
  }
  if (said_offline) wait_published(std::chrono::seconds(1));
  // The network thread sends the DISCONNECT and then ends; one that cannot (a broker that
  // no longer answers) ends at the deadline.
  stop_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  mosquitto_disconnect(mosq_.get());
  if (network_.joinable()) network_.join();
  connected_ = false;
  if (subscribe_) metrics_.mqtt_connected = 0;
}

void MqttClient::run_network() {
  // Named for top -H and the benchmarks' busiest-thread report (15 characters at most).
  pthread_setname_np(pthread_self(), subscribe_ ? "mqtt in" : "mqtt out");
  const int keepalive =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(config_.keepalive).count());
  std::uint64_t reported_before = failures_reported_;
  // Fenced: no connection at all, until stop().
  auto wait_for_stop = [&] {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stopping_.load(); });
  };
  if (!may_act()) return wait_for_stop();
  int rc = mosquitto_connect_async(mosq_.get(), config_.host.c_str(), config_.port, keepalive);
  for (;;) {
    while (rc == MOSQ_ERR_SUCCESS &&
           !(stopping_ && std::chrono::steady_clock::now() >= stop_deadline_)) {
      rc = mosquitto_loop(mosq_.get(), 1000, 1);
      if (rc == MOSQ_ERR_SUCCESS && subscribe_ && connected_)
        rc = read_waiting_packets(mosq_.get(), &connected_);
    }
    // libmosquitto leaves the system's error (errno, or getaddrinfo's code) in errno.
    const std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno)
                            : rc == MOSQ_ERR_EAI ? "cannot resolve mqtt.host '" + config_.host +
                                                       "': " + gai_strerror(errno)
                                                 : std::string(mosquitto_strerror(rc));
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    // The connection ended or an attempt failed. Say why, unless on_connect, on_disconnect
    // or on_log already did (a refused CONNACK, a lost connection, a TLS error).
    if (failures_reported_ == reported_before) {
      lock.unlock();
      report_connect_failure(why);
      lock.lock();
    }
    // libmosquitto's own backoff: 1, 4, 9, 16, 25, then every 30 s.
    ++failed_attempts_;
    const auto delay = std::chrono::seconds(std::min(failed_attempts_ * failed_attempts_, 30));
    if (changed_.wait_for(lock, delay, [&] { return stopping_.load(); })) return;
    reported_before = failures_reported_;
    lock.unlock();
    if (!may_act()) return wait_for_stop();
    rc = mosquitto_reconnect_async(mosq_.get());
    // A stop() that came while we reconnected found nothing to disconnect.
    if (stopping_) mosquitto_disconnect(mosq_.get());
  }
}

int read_waiting_packets(mosquitto* m, const std::atomic<bool>* while_set) {
  // mosquitto_loop reads one packet per select(), and each packet costs libmosquitto three
  // read() calls: under load the select() is a quarter of the system calls per message.
  // Read on while the socket has data; a read that finds none leaves errno EAGAIN (and a
  // packet cut short keeps its part for the next call). The bound returns to mosquitto_loop,
  // which writes queued PUBACKs and keepalives, after at most kReadBurst packets.
  // errno is the signal libmosquitto's own loop_read uses too; an EAGAIN left by something
  // else inside the read (its wake-up pipe full of PUBACK notices) only ends a burst early.
  constexpr int kReadBurst = 256;
  for (int i = 0; i < kReadBurst && (!while_set || *while_set); ++i) {
    errno = 0;
    const int rc = mosquitto_loop_read(m, 1);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
  }
  return MOSQ_ERR_SUCCESS;
}

bool MqttClient::wait_ready(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return ready(); });
}

std::string MqttClient::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void MqttClient::report_connect_failure(const std::string& why) {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t repeats = 0;
  {
    std::lock_guard lock(mutex_);
    ++failures_reported_;
    last_error_ = why;
    if (why == last_reported_ && now - last_reported_at_ < std::chrono::minutes(1)) {
      ++repeats_;
      return;
    }
    repeats = std::exchange(repeats_, 0);
    last_reported_ = why;
    last_reported_at_ = now;
  }
  auto log = component_log("mqtt");
  if (repeats == 0)
    log->error("cannot connect to {}:{} as {}: {}", config_.host, config_.port, client_id_, why);
  else
    log->error("cannot connect to {}:{} as {}: {} (and {} time(s) before in the last minute)",
               config_.host, config_.port, client_id_, why, repeats);
}

bool MqttClient::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  // Only QoS >= 1 publishes are remembered until their PUBACK (on_publish with their id).
  // on_publish also comes for QoS 0 messages once written, but not for those a lost
  // connection drops: counting those made an exit warn about publishes nobody waits for.
  // The lock is held across the call so that on_publish (on the network thread: with
  // mosquitto_threaded_set the library never writes from this thread) cannot see the id first.
  if (!may_act()) return false;
  std::lock_guard lock(publish_mutex_);
  int mid = 0;
  const int rc = mosquitto_publish(mosq_.get(), &mid, topic.c_str(),
                                   static_cast<int>(payload.size()), payload.data(), qos, retain);
  // While disconnected, QoS ≥ 1 publishes are queued by the library and rc is NO_CONN.
  const bool queued = rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos > 0);
  if (queued && qos > 0) unacked_.insert(mid);
  return queued;
}

std::size_t MqttClient::wait_published(std::chrono::milliseconds timeout) {
  std::unique_lock lock(publish_mutex_);
  all_published_.wait_for(lock, timeout, [&] { return unacked_.empty(); });
  return unacked_.size();
}

bool MqttClient::may_act() {
  if (!may_act_ || may_act_()) return true;
  if (!fenced_.exchange(true))
    component_log("mqtt")->warn(
        "{}: this instance is no longer the active one; no more connections or publishes",
        client_id_);
  return false;
}

void MqttClient::on_connect(mosquitto* m, void* p, int rc) {
  auto* self = static_cast<MqttClient*>(p);
  auto log = component_log("mqtt");
  if (rc != 0) {
    self->report_connect_failure(std::string("the broker refused the connection: ") +
                                 mosquitto_connack_string(rc));
    return;
  }
  {
    std::lock_guard lock(self->presence_mutex_);
    self->connected_ = true;
    if (self->presence_ && !self->closing_)
      self->publish(self->presence_->topic, self->presence_->online, 1, true);
  }
  self->connections_.fetch_add(1);
  if (self->subscribe_) {
    self->metrics_.mqtt_connected = 1;
    if (std::exchange(self->connected_before_, true))
      self->metrics_.mqtt_reconnects.fetch_add(1, std::memory_order_relaxed);
    self->pending_subacks_ = static_cast<int>(self->config_.subscriptions.size());
    for (const auto& filter : self->config_.subscriptions) {
      int src = mosquitto_subscribe(m, nullptr, filter.c_str(), self->config_.qos);
      if (src != MOSQ_ERR_SUCCESS) log->error("subscribe {}: {}", filter, mosquitto_strerror(src));
    }
  }
  log->info("connected to {}:{} as {}", self->config_.host, self->config_.port, self->client_id_);
  std::lock_guard lock(self->mutex_);
  self->last_error_.clear();
  self->last_reported_.clear();
  self->repeats_ = 0;
  self->failed_attempts_ = 0;
  self->changed_.notify_all();
}

void MqttClient::on_disconnect(mosquitto*, void* p, int rc) {
  auto* self = static_cast<MqttClient*>(p);
  const bool was = self->connected_.exchange(false);
  self->subscribed_ = false;
  if (self->subscribe_) self->metrics_.mqtt_connected = 0;
  std::lock_guard lock(self->mutex_);
  // A failed attempt (was false) is reported by whoever knows why: on_connect, on_log or
  // run_network.
  if (rc != 0 && was) {
    self->last_error_ = "connection to the broker lost";
    ++self->failures_reported_;
    component_log("mqtt")->warn("connection to {}:{} lost; reconnecting", self->config_.host,
                                self->config_.port);
  }
  self->changed_.notify_all();
}

void MqttClient::on_subscribe(mosquitto*, void* p, int, int qos_count, const int* granted) {
  auto* self = static_cast<MqttClient*>(p);
  for (int i = 0; i < qos_count; ++i)
    if (granted[i] == 0x80)
      component_log("mqtt")->error("the broker refused a subscription (check its ACL)");
  // A publish-only client's own subscriptions (subscribe()) are not mqtt.subscriptions.
  if (!self->subscribe_) return;
  if (--self->pending_subacks_ <= 0) {
    self->subscribed_ = true;
    component_log("mqtt")->info("subscribed to {} filter(s) at QoS {}",
                                self->config_.subscriptions.size(), self->config_.qos);
    std::lock_guard lock(self->mutex_);
    self->changed_.notify_all();
  }
}

void MqttClient::on_log(mosquitto*, void* p, int level, const char* text) {
  auto* self = static_cast<MqttClient*>(p);
  if (!text) return;
  const std::string line(text);
  // Debug and notice lines name every packet sent: far too many for our log.
  if (level == MOSQ_LOG_WARNING) component_log("mqtt")->warn("libmosquitto: {}", line);
  if (level != MOSQ_LOG_ERR) return;
  {
    // A failed host name check is followed by OpenSSL's generic "certificate verify failed",
    // which would hide the precise reason.
    std::lock_guard lock(self->mutex_);
    const bool after_name_check = std::exchange(self->name_check_failed_, false);
    if (line.find("host name verification failed") != std::string::npos)
      self->name_check_failed_ = true;
    else if (after_name_check && line.find("certificate verify failed") != std::string::npos)
      return;
  }
  self->report_connect_failure(explain_library_error(line, self->config_));
}

void MqttClient::on_message(mosquitto*, void* p, const mosquitto_message* msg) {
  auto* self = static_cast<MqttClient*>(p);
  if (!self->handler_) return;
  std::string_view payload(static_cast<const char*>(msg->payload),
                           msg->payloadlen > 0 ? static_cast<std::size_t>(msg->payloadlen) : 0);
  self->handler_(msg->topic ? std::string_view(msg->topic) : std::string_view(), payload,
                 msg->retain);
}

void MqttClient::on_publish(mosquitto*, void* p, int mid) {
  auto* self = static_cast<MqttClient*>(p);
  std::lock_guard lock(self->publish_mutex_);
  if (self->unacked_.erase(mid) && self->unacked_.empty()) self->all_published_.notify_all();
}

}  // namespace roomtemp

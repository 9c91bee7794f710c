#include "mqtt_client.h"

#include <mosquitto.h>

#include <stdexcept>

#include "log.h"

namespace roomtemp {

void mqtt_library_init() {
  static bool done = [] {
    mosquitto_lib_init();
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
  mosquitto_reconnect_delay_set(mosq_.get(), 1, 30, true);
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
      throw std::runtime_error(std::string("MQTT TLS setup: ") + mosquitto_strerror(rc));
  }
}

MqttClient::~MqttClient() { stop(); }

void MqttClient::start() {
  if (started_) return;
  started_ = true;
  const int keepalive = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(config_.keepalive).count());
  // The network thread first, then the connect: in libmosquitto 2.0.11 a first connect that
  // fails before the thread runs is never retried (upstream issues 1903 and 2576).
  int rc = mosquitto_loop_start(mosq_.get());
  if (rc != MOSQ_ERR_SUCCESS)
    throw std::runtime_error(std::string("mosquitto_loop_start: ") + mosquitto_strerror(rc));
  rc = mosquitto_connect_async(mosq_.get(), config_.host.c_str(), config_.port, keepalive);
  if (rc != MOSQ_ERR_SUCCESS) {
    set_error(std::string("connect to ") + config_.host + ":" + std::to_string(config_.port) +
              ": " + (rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc)));
    component_log("mqtt")->warn("{}; the network thread keeps retrying", last_error());
  }
}

void MqttClient::stop() {
  if (!started_) return;
  started_ = false;
  mosquitto_disconnect(mosq_.get());
  mosquitto_loop_stop(mosq_.get(), false);
  connected_ = false;
  if (subscribe_) metrics_.mqtt_connected = 0;
}

bool MqttClient::wait_ready(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return ready(); });
}

std::string MqttClient::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void MqttClient::set_error(std::string e) {
  std::lock_guard lock(mutex_);
  last_error_ = std::move(e);
}

bool MqttClient::publish(const std::string& topic, std::string_view payload, int qos,
                         bool retain) {
  {
    // libmosquitto calls on_publish for every message it hands over (QoS 0: sent; QoS 1:
    // PUBACK), so every publish is counted until then.
    std::lock_guard lock(mutex_);
    ++unacked_;
  }
  int rc = mosquitto_publish(mosq_.get(), nullptr, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  // While disconnected, QoS ≥ 1 publishes are queued by the library and rc is NO_CONN.
  if (rc != MOSQ_ERR_SUCCESS && !(rc == MOSQ_ERR_NO_CONN && qos > 0)) {
    std::lock_guard lock(mutex_);
    --unacked_;
    return false;
  }
  return true;
}

bool MqttClient::wait_published(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return unacked_ <= 0; });
}

void MqttClient::on_connect(mosquitto* m, void* p, int rc) {
  auto* self = static_cast<MqttClient*>(p);
  auto log = component_log("mqtt");
  if (rc != 0) {
    self->set_error(std::string("broker refused the connection: ") +
                    mosquitto_connack_string(rc));
    log->error("{} ({}:{})", self->last_error(), self->config_.host, self->config_.port);
    return;
  }
  self->connected_ = true;
  if (self->subscribe_) {
    self->metrics_.mqtt_connected = 1;
    self->metrics_.mqtt_reconnects.fetch_add(1, std::memory_order_relaxed);
    self->pending_subacks_ = static_cast<int>(self->config_.subscriptions.size());
    for (const auto& filter : self->config_.subscriptions) {
      int src = mosquitto_subscribe(m, nullptr, filter.c_str(), self->config_.qos);
      if (src != MOSQ_ERR_SUCCESS)
        log->error("subscribe {}: {}", filter, mosquitto_strerror(src));
    }
  }
  log->info("connected to {}:{} as {}", self->config_.host, self->config_.port, self->client_id_);
  std::lock_guard lock(self->mutex_);
  self->last_error_.clear();
  self->changed_.notify_all();
}

void MqttClient::on_disconnect(mosquitto*, void* p, int rc) {
  auto* self = static_cast<MqttClient*>(p);
  const bool was = self->connected_.exchange(false);
  self->subscribed_ = false;
  if (self->subscribe_) self->metrics_.mqtt_connected = 0;
  if (rc != 0) {
    self->set_error("connection to the broker lost");
    if (was) component_log("mqtt")->warn("connection to {}:{} lost; reconnecting",
                                         self->config_.host, self->config_.port);
  }
  std::lock_guard lock(self->mutex_);
  self->changed_.notify_all();
}

void MqttClient::on_subscribe(mosquitto*, void* p, int, int qos_count, const int* granted) {
  auto* self = static_cast<MqttClient*>(p);
  for (int i = 0; i < qos_count; ++i)
    if (granted[i] == 0x80)
      component_log("mqtt")->error("the broker refused a subscription (check its ACL)");
  if (--self->pending_subacks_ <= 0) {
    self->subscribed_ = true;
    component_log("mqtt")->info("subscribed to {} filter(s) at QoS {}",
                                self->config_.subscriptions.size(), self->config_.qos);
    std::lock_guard lock(self->mutex_);
    self->changed_.notify_all();
  }
}

void MqttClient::on_message(mosquitto*, void* p, const mosquitto_message* msg) {
  auto* self = static_cast<MqttClient*>(p);
  if (!self->handler_) return;
  std::string_view payload(static_cast<const char*>(msg->payload),
                           msg->payloadlen > 0 ? static_cast<std::size_t>(msg->payloadlen) : 0);
  self->handler_(msg->topic ? std::string_view(msg->topic) : std::string_view(), payload);
}

void MqttClient::on_publish(mosquitto*, void* p, int) {
  auto* self = static_cast<MqttClient*>(p);
  std::lock_guard lock(self->mutex_);
  --self->unacked_;
  self->changed_.notify_all();
}

}  // namespace roomtemp

#include "harness/mqtt_client.h"

#include <mosquitto.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "harness/daemon.h"

namespace roomtemp::harness {

namespace {
void lib_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    mosquitto_lib_init();
    std::atexit([] { mosquitto_lib_cleanup(); });  // no leak report from the sanitizer build
  });
}

[[noreturn]] void fail(const std::string& what, int rc) {
  throw std::runtime_error("mqtt: " + what + ": " + mosquitto_strerror(rc));
}
}  // namespace

MqttClient::MqttClient(int port, MqttClientOptions options)
    : port_(port), options_(std::move(options)) {
  lib_init_once();
  if (options_.client_id.empty()) options_.client_id = unique_name("it_client");
  mosq_ = mosquitto_new(options_.client_id.c_str(), options_.clean_session, this);
  if (!mosq_) throw std::runtime_error("mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, &MqttClient::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttClient::on_disconnect);
  mosquitto_publish_callback_set(mosq_, &MqttClient::on_publish);
  mosquitto_subscribe_callback_set(mosq_, &MqttClient::on_subscribe);
  mosquitto_message_callback_set(mosq_, &MqttClient::on_message);
  mosquitto_reconnect_delay_set(mosq_, 1, 2, false);
  const std::string where = options_.host + ":" + std::to_string(port_);
  int rc = MOSQ_ERR_SUCCESS;
  if (!options_.username.empty())
    rc = mosquitto_username_pw_set(mosq_, options_.username.c_str(), options_.password.c_str());
  if (rc == MOSQ_ERR_SUCCESS && !options_.tls_ca_file.empty())
    rc = mosquitto_tls_set(
        mosq_, options_.tls_ca_file.c_str(), nullptr,
        options_.tls_cert_file.empty() ? nullptr : options_.tls_cert_file.c_str(),
        options_.tls_key_file.empty() ? nullptr : options_.tls_key_file.c_str(), nullptr);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_connect_async(mosq_, options_.host.c_str(), port_, options_.keepalive_seconds);
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_start(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    fail("connect to " + where, rc);
  }
  int refusal = 0;
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10),
                 [&] { return connected_ || connect_refusal_ != 0; });
    refusal = connected_ ? 0 : connect_refusal_;
  }
  if (!connected()) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
    throw std::runtime_error("mqtt: " + where +
                             (refusal != 0
                                  ? " refused us: " + std::string(mosquitto_connack_string(refusal))
                                  : ": no CONNACK within 10 s"));
  }
}

MqttClient::~MqttClient() {
  const int rc = mosquitto_disconnect(mosq_);
  // Without a connection the loop thread would keep trying to reconnect: stop it by force.
  mosquitto_loop_stop(mosq_, rc != MOSQ_ERR_SUCCESS);
  mosquitto_destroy(mosq_);
}

void MqttClient::on_connect(mosquitto* m, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  std::vector<std::pair<std::string, int>> subs;
  {
    std::lock_guard lock(c->mu_);
    c->connected_ = rc == 0;
    c->connect_refusal_ = rc;
    subs = c->subscriptions_;
  }
  if (rc == 0)
    for (auto& [filter, qos] : subs) mosquitto_subscribe(m, nullptr, filter.c_str(), qos);
  c->cv_.notify_all();
}

void MqttClient::on_disconnect(mosquitto*, void* self, int) {
  auto* c = static_cast<MqttClient*>(self);
  std::lock_guard lock(c->mu_);
  c->connected_ = false;
  c->cv_.notify_all();
}

void MqttClient::on_publish(mosquitto*, void* self, int) {
  auto* c = static_cast<MqttClient*>(self);
  std::lock_guard lock(c->mu_);
  ++c->acked_;
  c->cv_.notify_all();
}

void MqttClient::on_subscribe(mosquitto*, void* self, int, int, const int*) {
  auto* c = static_cast<MqttClient*>(self);
  std::lock_guard lock(c->mu_);
  ++c->subacks_;
  c->cv_.notify_all();
}

void MqttClient::on_message(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* c = static_cast<MqttClient*>(self);
  MqttMessage m{msg->topic,
                std::string(static_cast<const char*>(msg->payload),
                            static_cast<std::size_t>(msg->payloadlen)),
                msg->qos, msg->retain};
  std::lock_guard lock(c->mu_);
  c->messages_.push_back(std::move(m));
  c->cv_.notify_all();
}

bool MqttClient::connected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

bool MqttClient::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return connected_; });
}

void MqttClient::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                         bool wait_ack) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, retain);
  // While the broker is away, libmosquitto keeps a QoS >= 1 message queued, sends it on
  // reconnect and acknowledges it then; it merely reports NO_CONN now.
  if (rc != MOSQ_ERR_SUCCESS && !(rc == MOSQ_ERR_NO_CONN && qos > 0)) fail("publish " + topic, rc);
  {
    std::lock_guard lock(mu_);
    ++published_;
  }
  if (wait_ack) wait_all_acked();
}

void MqttClient::publish_many(const std::vector<Publication>& messages, int qos, std::size_t window,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& m : messages) {
    {
      std::unique_lock lock(mu_);
      // acked_ can run ahead of published_ for a moment: the ack may beat our increment.
      if (!cv_.wait_until(lock, deadline, [&] { return published_ < acked_ + window; }))
        throw std::runtime_error("mqtt: publish_many: no acks within the timeout (" +
                                 std::to_string(acked_) + " of " + std::to_string(published_) +
                                 " acked)");
    }
    publish(m.topic, m.payload, qos, false, false);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  wait_all_acked(std::max(left, std::chrono::milliseconds(1)));
}

void MqttClient::wait_all_acked(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return acked_ >= published_; }))
    throw std::runtime_error("mqtt: only " + std::to_string(acked_) + " of " +
                             std::to_string(published_) + " publications acknowledged in time");
}

std::size_t MqttClient::acked() const {
  std::lock_guard lock(mu_);
  return acked_;
}

void MqttClient::subscribe(const std::string& filter, int qos) {
  std::size_t before;
  {
    std::lock_guard lock(mu_);
    subscriptions_.emplace_back(filter, qos);
    before = subacks_;
  }
  const int rc = mosquitto_subscribe(mosq_, nullptr, filter.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS) fail("subscribe " + filter, rc);
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return subacks_ > before; }))
    throw std::runtime_error("mqtt: no SUBACK for " + filter + " within 10 s");
}

std::vector<MqttMessage> MqttClient::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::vector<MqttMessage> MqttClient::messages_on(const std::string& filter) const {
  std::vector<MqttMessage> out;
  std::lock_guard lock(mu_);
  for (const auto& m : messages_) {
    bool match = false;
    mosquitto_topic_matches_sub(filter.c_str(), m.topic.c_str(), &match);
    if (match) out.push_back(m);
  }
  return out;
}

void MqttClient::clear_messages() {
  std::lock_guard lock(mu_);
  messages_.clear();
}

bool MqttClient::wait_for(const std::function<bool(const std::vector<MqttMessage>&)>& done,
                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(messages_); });
}

}  // namespace roomtemp::harness

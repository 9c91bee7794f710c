// latency_probe: how long from a reading's publish until the retained average reflecting it
// arrives. Each sample is one bare-number reading with a unique value to a room nobody else
// uses (buildings/{building}/rooms/L{i}/{metric}), so the first average message on that room's
// topic with count 1 and avg equal to the value is the one that includes it. Samples are
// spaced at random (uniform 0.5–1.5 × --interval-ms) so they fall at every phase of the
// daemon's publish tick.
//
// Prints `samples N received K p50_ms X p90_ms Y p99_ms Z max_ms W mean_ms V`.
//
// With --alarm NAME it measures an alarm rule instead (README "Alarms and silent sensors"):
// each sample's reading is --above-by past the rule's threshold (--threshold), in a room of its
// own, and the time is until the retained state buildings/…/L{i}/{metric}/alarms/NAME says
// "firing"; the event on roomtemp/events is timed as well (`event_p50_ms` … on the same line).
#include <mosquitto.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  double value = 0;
  Clock::time_point published{};
  Clock::time_point arrived{};
  bool done = false;
  Clock::time_point event_arrived{};  ///< --alarm: the event on roomtemp/events
  bool event_done = false;
};

struct Probe {
  std::string prefix;  ///< "buildings/{building}/rooms/L"
  std::string suffix;  ///< "/{metric}/average/{window}"
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Sample> samples;
  int connack = -1;
  bool subscribed = false;
  std::string filter;
  int qos = 1;
  std::uint64_t mismatched = 0;  ///< averages for a sample room that did not show its value
  std::string alarm;             ///< --alarm: the rule whose state and events are timed
};

/// The sample index of room "L{i}", or SIZE_MAX.
std::size_t sample_of(std::string_view room) {
  if (room.size() < 2 || room[0] != 'L') return SIZE_MAX;
  return std::strtoull(std::string(room.substr(1)).c_str(), nullptr, 10);
}

/// --alarm: a firing state on the sample's alarm topic, or its event on roomtemp/events.
void on_alarm_message(Probe& probe, std::string_view topic, const nlohmann::json& doc,
                      Clock::time_point now) {
  if (doc.is_discarded() || !doc.is_object() || doc.value("state", "") != "firing" ||
      doc.value("alarm", "") != probe.alarm)
    return;
  const bool event = topic == "roomtemp/events";
  std::size_t i = SIZE_MAX;
  if (event) {
    i = sample_of(doc.value("room", ""));
  } else if (topic.substr(0, probe.prefix.size()) == probe.prefix) {
    const auto end = topic.find('/', probe.prefix.size());
    i = sample_of("L" + std::string(topic.substr(probe.prefix.size(), end - probe.prefix.size())));
  }
  std::lock_guard lock(probe.mutex);
  if (i >= probe.samples.size()) return;
  Sample& s = probe.samples[i];
  if (event && !s.event_done) {
    s.event_arrived = now;
    s.event_done = true;
  } else if (!event && !s.done) {
    s.arrived = now;
    s.done = true;
  }
  probe.changed.notify_all();
}

void on_connect(mosquitto* m, void* p, int rc) {
  auto* probe = static_cast<Probe*>(p);
  if (rc == 0 && !probe->alarm.empty()) mosquitto_subscribe(m, nullptr, "roomtemp/events", 1);
  if (rc == 0) mosquitto_subscribe(m, nullptr, probe->filter.c_str(), 1);
  std::lock_guard lock(probe->mutex);
  probe->connack = rc;
  probe->changed.notify_all();
}

void on_subscribe(mosquitto*, void* p, int mid, int, const int*) {
  auto* probe = static_cast<Probe*>(p);
  std::lock_guard lock(probe->mutex);
  // --alarm subscribes twice; the second SUBACK (the filter) is the one that counts.
  probe->subscribed = probe->alarm.empty() || mid > 1;
  probe->changed.notify_all();
}

void on_message(mosquitto*, void* p, const mosquitto_message* msg) {
  const auto now = Clock::now();
  auto* probe = static_cast<Probe*>(p);
  const std::string_view topic(msg->topic);
  if (!probe->alarm.empty()) {
    if (msg->payloadlen == 0) return;
    on_alarm_message(*probe, topic,
                     nlohmann::json::parse(static_cast<const char*>(msg->payload),
                                           static_cast<const char*>(msg->payload) + msg->payloadlen,
                                           nullptr, false),
                     now);
    return;
  }
  if (topic.size() <= probe->prefix.size() + probe->suffix.size() ||
      topic.substr(0, probe->prefix.size()) != probe->prefix ||
      topic.substr(topic.size() - probe->suffix.size()) != probe->suffix)
    return;
  const std::string index_text(topic.substr(
      probe->prefix.size(), topic.size() - probe->prefix.size() - probe->suffix.size()));
  const std::size_t i = std::strtoull(index_text.c_str(), nullptr, 10);
  const auto doc = nlohmann::json::parse(static_cast<const char*>(msg->payload),
                                         static_cast<const char*>(msg->payload) + msg->payloadlen,
                                         nullptr, false);
  std::lock_guard lock(probe->mutex);
  if (i >= probe->samples.size() || probe->samples[i].done) return;
  Sample& s = probe->samples[i];
  if (doc.is_discarded() || !doc.contains("count") || !doc["count"].is_number() ||
      doc["count"].get<double>() < 1 || !doc["avg"].is_number() ||
      std::fabs(doc["avg"].get<double>() - s.value) > 1e-9) {
    ++probe->mismatched;
    return;
  }
  s.arrived = now;
  s.done = true;
  probe->changed.notify_all();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"latency_probe: publish → retained average latency of roomtempd"};
  std::string host = "127.0.0.1", building = "Lat", metric = "temperature", window = "1m";
  int port = 1883, qos = 1, samples = 100, interval_ms = 200;
  double wait_s = 5, threshold = 28, above_by = 12;
  std::string alarm;
  app.add_option("--host", host)->capture_default_str();
  app.add_option("--port", port)->capture_default_str();
  app.add_option("--qos", qos, "QoS of the readings")->capture_default_str();
  app.add_option("--building", building, "building id used only by the probe")
      ->capture_default_str();
  app.add_option("--metric", metric)->capture_default_str();
  app.add_option("--window", window, "average window whose topic is watched")
      ->capture_default_str();
  app.add_option("--samples", samples)->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--interval-ms", interval_ms, "mean gap between samples")->capture_default_str();
  app.add_option("--wait", wait_s, "seconds to wait for the last averages")->capture_default_str();
  app.add_option("--alarm", alarm, "time this alarm rule's firing state and event instead");
  app.add_option("--threshold", threshold, "--alarm: the rule's threshold (above)")
      ->capture_default_str();
  app.add_option("--above-by", above_by, "--alarm: how far past it each reading is")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  mosquitto_lib_init();
  Probe probe;
  probe.prefix = "buildings/" + building + "/rooms/L";
  probe.suffix = "/" + metric + "/average/" + window;
  probe.filter = "buildings/" + building + "/rooms/+/" + metric + "/average/" + window;
  probe.alarm = alarm;
  if (!alarm.empty())
    probe.filter = "buildings/" + building + "/rooms/+/" + metric + "/alarms/" + alarm;
  probe.qos = qos;
  probe.samples.resize(static_cast<std::size_t>(samples));
  std::unique_ptr<mosquitto, decltype(&mosquitto_destroy)> mosq(
      mosquitto_new(nullptr, true, &probe), mosquitto_destroy);
  if (!mosq) return 1;
  mosquitto_int_option(mosq.get(), MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq.get(), on_connect);
  mosquitto_subscribe_callback_set(mosq.get(), on_subscribe);
  mosquitto_message_callback_set(mosq.get(), on_message);
  if (int rc = mosquitto_connect(mosq.get(), host.c_str(), port, 30); rc != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "latency_probe: connect to %s:%d: %s\n", host.c_str(), port,
                 mosquitto_strerror(rc));
    return 1;
  }
  mosquitto_loop_start(mosq.get());
  {
    std::unique_lock lock(probe.mutex);
    if (!probe.changed.wait_for(lock, std::chrono::seconds(10), [&] { return probe.subscribed; })) {
      std::fprintf(stderr, "latency_probe: not subscribed within 10 s\n");
      return 1;
    }
  }

  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> gap(0.5 * interval_ms, 1.5 * interval_ms);
  for (int i = 0; i < samples; ++i) {
    Sample& s = probe.samples[static_cast<std::size_t>(i)];
    // Unique, exactly representable in the payload and in the average of one reading.
    s.value = (alarm.empty() ? 20.0 : threshold + above_by) + (i % 1000) * 0.0625;
    char payload[32];
    const int len = std::snprintf(payload, sizeof payload, "%.4f", s.value);
    const std::string topic = probe.prefix + std::to_string(i) + "/" + metric;
    {
      std::lock_guard lock(probe.mutex);
      s.published = Clock::now();
    }
    mosquitto_publish(mosq.get(), nullptr, topic.c_str(), len, payload, qos, false);
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(gap(rng)));
  }
  {
    std::unique_lock lock(probe.mutex);
    probe.changed.wait_for(lock, std::chrono::duration<double>(wait_s), [&] {
      return std::all_of(probe.samples.begin(), probe.samples.end(), [&](const Sample& s) {
        return s.done && (alarm.empty() || s.event_done);
      });
    });
  }
  mosquitto_disconnect(mosq.get());
  mosquitto_loop_stop(mosq.get(), false);

  std::vector<double> ms, event_ms;
  for (const auto& s : probe.samples) {
    if (s.done)
      ms.push_back(std::chrono::duration<double, std::milli>(s.arrived - s.published).count());
    if (s.event_done)
      event_ms.push_back(
          std::chrono::duration<double, std::milli>(s.event_arrived - s.published).count());
  }
  double mean = 0;
  for (double v : ms) mean += v;
  if (!ms.empty()) mean /= static_cast<double>(ms.size());
  std::printf(
      "samples %d received %zu p50_ms %.1f p90_ms %.1f p99_ms %.1f max_ms %.1f mean_ms %.1f "
      "mismatched %llu\n",
      samples, ms.size(), percentile(ms, 0.50), percentile(ms, 0.90), percentile(ms, 0.99),
      ms.empty() ? NAN : *std::max_element(ms.begin(), ms.end()), mean,
      static_cast<unsigned long long>(probe.mismatched));
  if (!alarm.empty())
    std::printf("events %zu event_p50_ms %.1f event_p99_ms %.1f event_max_ms %.1f\n",
                event_ms.size(), percentile(event_ms, 0.50), percentile(event_ms, 0.99),
                event_ms.empty() ? NAN : *std::max_element(event_ms.begin(), event_ms.end()));
  const bool all = ms.size() == probe.samples.size() &&
                   (alarm.empty() || event_ms.size() == probe.samples.size());
  return all ? 0 : 3;
}

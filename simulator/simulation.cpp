#include "simulation.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <stop_token>
#include <thread>

#include "config.h"
#include "log.h"
#include "publisher.h"
#include "sensor_model.h"
#include "signals.h"

namespace roomtemp::sim {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kConnectTimeout = 10s;
// How long the end of a run waits for the broker to acknowledge what is in flight.
constexpr auto kDrainTimeout = 30s;
// A paced run that falls further behind than this (broker away, publisher blocked) skips the
// missed readings instead of bursting them out all at once when it can send again.
constexpr auto kMaxLag = 1s;

/// SIGINT/SIGTERM, taken on a thread of their own because the main thread is busy
/// publishing: the first one stops publishing, a second one stops waiting for acks.
class StopSignals {
 public:
  std::stop_token publishing() const { return publishing_.get_token(); }
  std::stop_token draining() const { return draining_.get_token(); }

 private:
  void watch(std::stop_token done) {
    while (!done.stop_requested()) {
      if (catcher_.wait(200ms) != SignalCatcher::Event::stop) continue;  // SIGHUP: ignored
      if (!publishing_.stop_requested())
        publishing_.request_stop();
      else
        draining_.request_stop();
    }
  }

  SignalCatcher catcher_;  // first: blocks the signals before any thread starts
  std::stop_source publishing_;
  std::stop_source draining_;
  std::jthread thread_{[this](std::stop_token done) { watch(done); }};
};

/// When the k-th message of a paced run is due: a fixed schedule from a start time, so
/// sleeping late never accumulates into drift.
class Schedule {
 public:
  Schedule(double per_second, Clock::time_point start) : per_second_(per_second), base_(start) {}

  Clock::time_point due(std::uint64_t k) const {
    const double seconds = static_cast<double>(k - base_k_) / per_second_;
    return base_ +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }
  void restart_at(std::uint64_t k, Clock::time_point now) {
    base_k_ = k;
    base_ = now;
  }

 private:
  double per_second_;
  Clock::time_point base_;
  std::uint64_t base_k_ = 0;
};

/// Sleeps until `until`; false when `stop` came first.
bool sleep_until(Clock::time_point until, std::stop_token stop) {
  static std::mutex mutex;
  static std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_until(lock, stop, until, [] { return false; });
  return !stop.stop_requested();
}

BrokerSettings broker_settings(const SimOptions& o) {
  BrokerSettings b;
  b.host = o.host;
  b.port = o.port;
  b.client_id = o.client_id.empty() ? "roomtemp-sim-" + std::to_string(getpid()) : o.client_id;
  b.username = o.username;
  if (!o.password_file.empty()) b.password = read_secret_file(o.password_file);
  b.tls_ca = o.tls_ca;
  b.qos = o.qos;
  b.max_inflight = o.max_inflight;
  return b;
}

std::uint64_t pick_seed(const SimOptions& o) {
  if (o.seed) return *o.seed;
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) | rd();
}

/// Publishes until --count, --duration or the stop token; returns how many were attempted.
std::uint64_t publish_readings(const SimOptions& o, SensorModel& model, Publisher& publisher,
                               std::stop_token stop, Clock::time_point start) {
  auto log = component_log("sim");
  const auto deadline = o.duration ? start + *o.duration : Clock::time_point::max();
  const std::uint64_t limit = o.count.value_or(UINT64_MAX);
  const std::size_t series = model.series_count();
  Schedule schedule(o.rate * static_cast<double>(series), start);
  auto next_progress = start + o.progress_interval;
  SensorMessage message;
  std::uint64_t k = 0;

  while (k < limit && !stop.stop_requested()) {
    auto now = Clock::now();
    if (o.rate > 0) {
      const auto due = schedule.due(k);
      if (due >= deadline) {  // nothing more is due before the end: idle out the duration
        sleep_until(deadline, stop);
        break;
      }
      if (due > now && !sleep_until(due, stop)) break;
      if (now - due > kMaxLag) schedule.restart_at(k, now);
    }
    if (!publisher.wait_for_capacity(stop, deadline)) break;
    now = Clock::now();
    if (now >= deadline) break;
    model.next(k % series, now_micros(), message);
    auto outcome = publisher.publish(message.topic, message.payload);
    // QoS 0 cannot be queued while the connection is down: wait for it and send this one.
    while (outcome == Publisher::Outcome::no_connection) {
      if (!publisher.wait_for_capacity(stop, deadline)) return k;
      outcome = publisher.publish(message.topic, message.payload);
    }
    ++k;
    if (o.progress_interval.count() > 0 && now >= next_progress) {
      const double secs = std::chrono::duration<double>(now - start).count();
      log->info("{} sent, {} acknowledged, {} in flight ({:.0f}/s)", publisher.published(),
                publisher.acknowledged(), publisher.in_flight(),
                static_cast<double>(publisher.acknowledged()) / secs);
      next_progress = now + o.progress_interval;
    }
  }
  return k;
}

void print_closing_line(std::uint64_t acknowledged, Clock::duration elapsed) {
  const double secs = std::chrono::duration<double>(elapsed).count();
  const auto rate = secs > 0 ? std::llround(static_cast<double>(acknowledged) / secs) : 0LL;
  fmt::print("sent {} readings in {:.2f} s ({}/s)\n", acknowledged, secs, rate);
  std::fflush(stdout);
}

void log_summary(const SensorModel& model, std::uint64_t attempted) {
  auto log = component_log("sim");
  std::string bad;
  std::uint64_t bad_total = 0;
  for (std::size_t i = 0; i < kBadKindCount; ++i) {
    const auto n = model.bad_counts()[i];
    if (n == 0) continue;
    bad_total += n;
    bad += fmt::format(" {}={}", bad_kind_name(static_cast<BadKind>(i)), n);
  }
  if (bad_total > 0) log->info("{} of {} messages were malformed:{}", bad_total, attempted, bad);
  if (model.max_timestamp_lead() > kMicrosPerSecond)
    log->warn(
        "timestamps ran up to {:.1f} s ahead of the clock to stay unique per room and "
        "metric (over 1000/s each); use more --rooms or --no-timestamps",
        static_cast<double>(model.max_timestamp_lead()) / kMicrosPerSecond);
}

}  // namespace

int run(const SimOptions& o) {
  set_log_level(o.quiet ? "warn" : "info");
  auto log = component_log("sim");
  StopSignals signals;  // before the MQTT thread starts, so it inherits the blocked signals

  BrokerSettings broker;
  try {
    broker = broker_settings(o);
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return 2;
  }
  const std::uint64_t seed = pick_seed(o);
  SensorModel model(model_settings(o), seed);
  log->info("publishing {} buildings x {} rooms x {} metric(s) to {}:{} at {}, QoS {}, seed {}",
            o.buildings, o.rooms, o.metrics.size(), o.host, o.port,
            o.rate > 0 ? fmt::format("{}/s per room and metric", o.rate) : "full speed", o.qos,
            seed);

  Publisher publisher(broker);
  try {
    if (!publisher.connect(kConnectTimeout, signals.publishing())) {
      print_closing_line(0, Clock::duration::zero());
      return 0;
    }
  } catch (const ConnectError& e) {
    log->error("{}", e.what());
    return 1;
  }

  const auto start = Clock::now();
  const std::uint64_t attempted =
      publish_readings(o, model, publisher, signals.publishing(), start);
  const bool drained = publisher.finish(kDrainTimeout, signals.draining());
  const auto elapsed = Clock::now() - start;

  print_closing_line(publisher.acknowledged(), elapsed);
  log_summary(model, attempted);
  if (!drained) {
    log->error(
        "{} of {} messages still unacknowledged {}", publisher.in_flight(), publisher.published(),
        signals.draining().stop_requested() ? "when interrupted again" : "after waiting 30 s");
    return 1;
  }
  if (publisher.acknowledged() < publisher.published())
    log->warn("{} QoS 0 messages were lost with the connection",
              publisher.published() - publisher.acknowledged());
  return 0;
}

}  // namespace roomtemp::sim

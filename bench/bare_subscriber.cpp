// bare_subscriber: the ceiling for roomtempd's ingest. A libmosquitto subscriber that does
// nothing but count, connected like roomtempd (MQTT 3.1.1, fixed client id, clean_session
// false), so the only difference left is the daemon's work.
//
// Prints one line: `received N in S s (R/s) first_us=T1 last_us=T2` where T1/T2 are the wall
// clock (µs since the epoch) of the first and last message, for comparing with other clocks.
// With --clear-session it only connects with a clean session under --client-id and leaves,
// which makes the broker drop that id's persistent session (and stop queueing for it).
// With --read-on it runs its own network loop that reads on while the socket has data, as
// roomtempd does, instead of the library's thread with a select() before every packet: what
// receiving costs at the least with libmosquitto.
#include <mosquitto.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mqtt_client.h"

namespace {

std::int64_t wall_micros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

/// What the callbacks share with main(): counters the network thread writes, a wake-up for
/// main. The message callback does as little as possible; that is the point of this program.
struct Counter {
  std::uint64_t target = 0;
  int qos = 0;
  std::string topic;
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::int64_t> first_us{0};
  std::atomic<std::int64_t> last_us{0};
  std::mutex mutex;
  std::condition_variable changed;
  bool connected = false;
  bool subscribed = false;
  int connack = -1;
};

void on_connect(mosquitto* m, void* p, int rc) {
  auto* c = static_cast<Counter*>(p);
  if (rc == 0 && !c->topic.empty()) mosquitto_subscribe(m, nullptr, c->topic.c_str(), c->qos);
  std::lock_guard lock(c->mutex);
  c->connack = rc;
  c->connected = rc == 0;
  c->changed.notify_all();
}

void on_subscribe(mosquitto*, void* p, int, int, const int*) {
  auto* c = static_cast<Counter*>(p);
  std::lock_guard lock(c->mutex);
  c->subscribed = true;
  c->changed.notify_all();
}

void on_message(mosquitto*, void* p, const mosquitto_message*) {
  auto* c = static_cast<Counter*>(p);
  const std::int64_t now = wall_micros();
  const std::uint64_t n = c->received.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n == 1) c->first_us.store(now, std::memory_order_relaxed);
  c->last_us.store(now, std::memory_order_relaxed);
  if (n == c->target) {
    std::lock_guard lock(c->mutex);
    c->changed.notify_all();
  }
}

/// The network loop: libmosquitto's own thread, or with `read_on` ours, which after each
/// mosquitto_loop reads the packets already waiting without a select() for each.
class NetworkLoop {
 public:
  NetworkLoop(mosquitto* m, bool read_on) : m_(m), read_on_(read_on) {
    if (!read_on_) {
      mosquitto_loop_start(m_);
      return;
    }
    // Another thread (main) sends the UNSUBSCRIBE and DISCONNECT: queued, and the loop woken.
    mosquitto_threaded_set(m_, true);
    thread_ = std::thread([this] {
      // After stop(), on until the DISCONNECT main queued has gone out (the connection then
      // ends: NO_CONN) or for at most 2 s.
      std::chrono::steady_clock::time_point give_up{};
      for (;;) {
        int rc = mosquitto_loop(m_, 100, 1);
        if (rc == MOSQ_ERR_SUCCESS) rc = roomtemp::read_waiting_packets(m_);
        if (stop_) {
          const auto now = std::chrono::steady_clock::now();
          if (give_up == std::chrono::steady_clock::time_point{})
            give_up = now + std::chrono::seconds(2);
          if (rc != MOSQ_ERR_SUCCESS || now >= give_up) return;
        } else if (rc != MOSQ_ERR_SUCCESS) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          if (!stop_) mosquitto_reconnect(m_);
        }
      }
    });
  }
  ~NetworkLoop() { stop(); }
  /// After mosquitto_disconnect (or on an early exit, where it gives up after 2 s).
  void stop() {
    if (!read_on_) {
      if (!stopped_) mosquitto_loop_stop(m_, false);
      stopped_ = true;
      return;
    }
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  mosquitto* m_;
  bool read_on_;
  std::atomic<bool> stop_{false};
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bare_subscriber: counts MQTT messages, the ceiling roomtempd is compared with"};
  std::string host = "127.0.0.1", client_id = "roomtemp-bench-bare";
  std::string topic = "buildings/+/rooms/+/+";
  int port = 1883, qos = 1;
  std::uint64_t count = 0;
  double timeout_s = 60, idle_s = 3;
  bool clear_session = false, read_on = false;
  app.add_option("--host", host)->capture_default_str();
  app.add_option("--port", port)->capture_default_str();
  app.add_option("--qos", qos)->capture_default_str()->check(CLI::IsMember({0, 1, 2}));
  app.add_option("--client-id", client_id)->capture_default_str();
  app.add_option("--topic", topic, "subscription filter")->capture_default_str();
  app.add_option("--count", count, "stop after this many messages (0: only --timeout/--idle)");
  app.add_option("--timeout", timeout_s, "give up after this many seconds")->capture_default_str();
  app.add_option("--idle", idle_s, "stop when nothing arrived for this long after a first message")
      ->capture_default_str();
  app.add_flag("--clear-session", clear_session,
               "connect with a clean session as --client-id and leave (drops its old session)");
  app.add_flag("--read-on", read_on,
               "own network loop reading on while the socket has data (as roomtempd does)");
  CLI11_PARSE(app, argc, argv);

  mosquitto_lib_init();
  Counter counter;
  counter.target = count;
  counter.qos = qos;
  counter.topic = clear_session ? std::string() : topic;
  std::unique_ptr<mosquitto, decltype(&mosquitto_destroy)> mosq(
      mosquitto_new(client_id.c_str(), clear_session, &counter), mosquitto_destroy);
  if (!mosq) {
    std::fprintf(stderr, "bare_subscriber: mosquitto_new failed\n");
    return 1;
  }
  mosquitto_int_option(mosq.get(), MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq.get(), on_connect);
  mosquitto_subscribe_callback_set(mosq.get(), on_subscribe);
  mosquitto_message_callback_set(mosq.get(), on_message);
  if (int rc = mosquitto_connect(mosq.get(), host.c_str(), port, 30); rc != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "bare_subscriber: connect to %s:%d: %s\n", host.c_str(), port,
                 mosquitto_strerror(rc));
    return 1;
  }
  NetworkLoop loop(mosq.get(), read_on);

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  {
    std::unique_lock lock(counter.mutex);
    const bool ok = counter.changed.wait_until(lock, deadline, [&] {
      return counter.connack >= 0 && (clear_session || counter.subscribed || counter.connack != 0);
    });
    if (!ok || counter.connack != 0) {
      std::fprintf(stderr, "bare_subscriber: no %s from the broker\n",
                   counter.connack > 0 ? "acceptance" : "answer");
      return 1;
    }
  }
  if (clear_session) {
    mosquitto_disconnect(mosq.get());
    loop.stop();
    return 0;
  }
  std::printf("subscribed %s qos %d as %s\n", topic.c_str(), qos, client_id.c_str());
  std::fflush(stdout);

  // Wait for the target count, the deadline, or silence after traffic began.
  const auto idle =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(idle_s));
  std::uint64_t seen = 0;
  auto last_change = Clock::now();
  while (true) {
    std::unique_lock lock(counter.mutex);
    counter.changed.wait_for(lock, std::chrono::milliseconds(100));
    const std::uint64_t n = counter.received.load();
    const auto now = Clock::now();
    if (n != seen) seen = n, last_change = now;
    if (count > 0 && n >= count) break;
    if (now >= deadline) break;
    if (n > 0 && now - last_change >= idle) break;
  }
  // Leave no subscription behind: the broker would go on queueing for this persistent session.
  mosquitto_unsubscribe(mosq.get(), nullptr, topic.c_str());
  mosquitto_disconnect(mosq.get());
  loop.stop();

  const std::uint64_t n = counter.received.load();
  const std::int64_t first = counter.first_us.load(), last = counter.last_us.load();
  const double secs = n > 1 ? static_cast<double>(last - first) / 1e6 : 0;
  // This process's whole CPU time (user + sys, all threads): what merely receiving costs.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu_us = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  std::printf("received %llu in %.3f s (%.0f/s) first_us=%lld last_us=%lld cpu_us=%.0f\n",
              static_cast<unsigned long long>(n), secs,
              secs > 0 ? static_cast<double>(n) / secs : 0.0, static_cast<long long>(first),
              static_cast<long long>(last), cpu_us);
  return count > 0 && n < count ? 3 : 0;
}

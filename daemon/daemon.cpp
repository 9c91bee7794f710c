#include "daemon.h"

#include <pqxx/pqxx>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "aggregator.h"
#include "http_api.h"
#include "ingest.h"
#include "log.h"
#include "migrate.h"
#include "mqtt_client.h"
#include "notify.h"
#include "pg_connect.h"
#include "pg_writer.h"
#include "signals.h"
#include "spool.h"
#include "topic.h"
#include "version.h"
#include "warm_start.h"

namespace roomtemp {
namespace {

/// Readings the MQTT thread may hand over before it waits for the writer. Large enough to
/// absorb a few batches, small enough to bound memory (~200 bytes each).
constexpr std::size_t kQueueCapacity = 100'000;

enum class MigrationState { done, postgres_unreachable };

/// Migrates the database and loads the live windows' history into `aggregator`.
MigrationState prepare_database(const Config& config, Aggregator& aggregator) {
  auto log = component_log("main");
  try {
    auto conn = pg_connect(config.postgres);
    if (config.postgres.migrate) {
      auto applied = apply_migrations(*conn);
      for (const auto& name : applied) log->info("applied migration {}", name);
    }
    ensure_partitions(*conn);
    const Micros now = now_micros();
    auto rows = load_warm_buckets(*conn, config.averages.windows, now);
    aggregator.warm(rows, now);
    log->info("live windows warmed from PostgreSQL: {} series, {} buckets",
              aggregator.series_count(), rows.size());
    return MigrationState::done;
  } catch (const pqxx::broken_connection& e) {
    std::string msg = e.what();
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    log->warn("PostgreSQL unreachable at start ({}); readings will wait in the spool", msg);
    return MigrationState::postgres_unreachable;
  }
}

/// Everything the running daemon is made of, started in order and stopped in reverse.
class Daemon {
 public:
  explicit Daemon(const Config& config)
      : config_(std::make_shared<const Config>(config)),
        queue_(kQueueCapacity),
        spool_(config.spool.dir, config.spool.max_bytes, metrics_),
        ingest_(config_, queue_, metrics_),
        writer_(config.postgres, queue_, spool_, metrics_),
        aggregator_(config.averages.windows, config.averages.dedupe_horizon) {}

  /// Migrations and warm start; PostgreSQL being down is not fatal (readings spool).
  void prepare() { prepare_database(*config_, aggregator_); }
  int run(SignalCatcher& signals);

 private:
  void start();
  void stop();
  void tick();
  void averages_loop();
  void publish_averages();
  Readiness readiness() const;
  std::string status_line() const;

  std::shared_ptr<const Config> config_;
  Metrics metrics_;
  BoundedQueue<Inbound> queue_;
  Spool spool_;
  Ingest ingest_;
  PgWriter writer_;
  Aggregator aggregator_;
  std::thread averages_thread_;
  std::mutex averages_mutex_;
  std::condition_variable averages_wake_;
  bool averages_stop_ = false;
  std::unique_ptr<MqttClient> publisher_;
  std::unique_ptr<MqttClient> subscriber_;
  std::unique_ptr<HttpApi> http_;
  bool ready_sent_ = false;
  std::chrono::steady_clock::time_point next_watchdog_{};
  std::chrono::steady_clock::time_point next_status_{};
};

Readiness Daemon::readiness() const {
  Readiness r;
  r.mqtt = subscriber_ && subscriber_->ready();
  if (!r.mqtt && subscriber_) r.mqtt_error = subscriber_->last_error();
  r.postgres = writer_.connected();
  if (!r.postgres) r.postgres_error = writer_.last_error();
  return r;
}

std::string Daemon::status_line() const {
  auto get = [](const auto& a) { return static_cast<unsigned long long>(a.load()); };
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "mqtt %s, postgres %s; %llu received, %llu written, queue %llu, spool %llu bytes",
                subscriber_ && subscriber_->ready() ? "up" : "down",
                writer_.connected() ? "up" : "down", get(metrics_.readings_received),
                get(metrics_.readings_written), get(metrics_.queue_depth),
                get(metrics_.spool_bytes));
  return buf;
}

void Daemon::start() {
  const Config& c = *config_;
  publisher_ = std::make_unique<MqttClient>(c.mqtt, c.mqtt.client_id + "-pub", false, nullptr,
                                            metrics_);
  ingest_.set_reading_sink([this](const Reading& r) { aggregator_.add(r, now_micros()); });
  ingest_.set_rejection_publisher([this](const Rejection& j) {
    publisher_->publish(std::string(kRejectedTopic), rejection_json(j), 0, false);
  });
  writer_.start();
  publisher_->start();
  averages_thread_ = std::thread([this] { averages_loop(); });
  subscriber_ = std::make_unique<MqttClient>(
      c.mqtt, c.mqtt.client_id, true,
      [this](std::string_view topic, std::string_view payload) {
        ingest_.on_message(topic, payload);
      },
      metrics_);
  subscriber_->start();
  if (!c.http.listen.empty()) {
    http_ = std::make_unique<HttpApi>(
        c.http.listen, HttpDeps{metrics_, ingest_, aggregator_, [this] { return readiness(); },
                               [this] { return ingest_.config(); }});
    http_->start();
  }
}

void Daemon::stop() {
  auto log = component_log("main");
  // Order matters: first no new input (readings the MQTT thread holds still go in, past the
  // queue limit), then the writer drains everything to PostgreSQL or the spool.
  ingest_.begin_shutdown();
  if (subscriber_) subscriber_->stop();
  if (http_) http_->stop();
  queue_.close();
  writer_.join();
  {
    std::lock_guard lock(averages_mutex_);
    averages_stop_ = true;
  }
  averages_wake_.notify_all();
  if (averages_thread_.joinable()) averages_thread_.join();
  publish_averages();  // the final numbers, with every accepted reading in them
  if (publisher_) {
    if (!publisher_->wait_published(std::chrono::seconds(2)))
      log->warn("some MQTT publishes were not acknowledged before exit");
    publisher_->stop();
  }
  log->info("stopped: {}", status_line());
}

void Daemon::publish_averages() {
  const auto& windows = aggregator_.windows();
  for (const auto& u : aggregator_.tick(now_micros())) {
    const std::string window = format_duration(windows[u.window]);
    const std::string topic = u.key.room.empty()
                                  ? building_average_topic(u.key.building, u.key.metric, window)
                                  : room_average_topic(u.key.building, u.key.room, u.key.metric,
                                                       window);
    if (publisher_->publish(topic, average_json(u.key, windows[u.window], u.stats), 1, true))
      metrics_.averages_published.fetch_add(1, std::memory_order_relaxed);
  }
}

void Daemon::averages_loop() {
  std::unique_lock lock(averages_mutex_);
  while (!averages_stop_) {
    const auto interval = config_->averages.publish_interval;
    if (averages_wake_.wait_for(lock, interval, [&] { return averages_stop_; })) break;
    lock.unlock();
    publish_averages();
    lock.lock();
  }
}

void Daemon::tick() {
  const auto now = std::chrono::steady_clock::now();
  if (!ready_sent_ && subscriber_->ready()) {
    ready_sent_ = true;
    notify::ready();
    component_log("main")->info("ready");
  }
  if (now >= next_watchdog_) {
    if (auto interval = notify::watchdog_interval()) {
      notify::watchdog();
      next_watchdog_ = now + *interval / 2;
    } else {
      next_watchdog_ = now + std::chrono::seconds(3600);
    }
  }
  if (now >= next_status_) {
    notify::status(status_line());
    next_status_ = now + std::chrono::seconds(5);
  }
}

int Daemon::run(SignalCatcher& signals) {
  start();
  while (true) {
    tick();
    switch (signals.wait(std::chrono::milliseconds(200))) {
      case SignalCatcher::Event::stop:
        component_log("main")->info("stopping");
        notify::stopping();
        stop();
        return 0;
      case SignalCatcher::Event::reload:
        component_log("main")->info("SIGHUP: reload not implemented yet; config unchanged");
        break;
      case SignalCatcher::Event::none:
        break;
    }
  }
}

}  // namespace

int run_daemon(const Config& config) {
  SignalCatcher signals;
  auto log = component_log("main");
  log->info("roomtempd {} starting with {}", ROOMTEMP_VERSION, config.path);
  prepare_postgres_environment(config.postgres);
  auto daemon = std::make_unique<Daemon>(config);
  daemon->prepare();
  return daemon->run(signals);
}

int run_migrate(const Config& config) {
  prepare_postgres_environment(config.postgres);
  auto conn = pg_connect(config.postgres);
  auto applied = apply_migrations(*conn);
  ensure_partitions(*conn);
  if (applied.empty()) std::printf("database is up to date\n");
  for (const auto& name : applied) std::printf("applied %s\n", name.c_str());
  return 0;
}

}  // namespace roomtemp

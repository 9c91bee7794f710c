#include "daemon.h"

#include <pqxx/pqxx>

#include <cstdio>
#include <memory>

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

namespace roomtemp {
namespace {

/// Readings the MQTT thread may hand over before it waits for the writer. Large enough to
/// absorb a few batches, small enough to bound memory (~200 bytes each).
constexpr std::size_t kQueueCapacity = 100'000;

enum class MigrationState { done, postgres_unreachable };

MigrationState migrate_at_start(const Config& config) {
  auto log = component_log("main");
  try {
    auto conn = pg_connect(config.postgres);
    if (config.postgres.migrate) {
      auto applied = apply_migrations(*conn);
      for (const auto& name : applied) log->info("applied migration {}", name);
    }
    ensure_partitions(*conn);
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
        writer_(config.postgres, queue_, spool_, metrics_) {}

  int run(SignalCatcher& signals);

 private:
  void start();
  void stop();
  void tick();
  Readiness readiness() const;
  std::string status_line() const;

  std::shared_ptr<const Config> config_;
  Metrics metrics_;
  BoundedQueue<Inbound> queue_;
  Spool spool_;
  Ingest ingest_;
  PgWriter writer_;
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
  ingest_.set_rejection_publisher([this](const Rejection& j) {
    publisher_->publish(std::string(kRejectedTopic), rejection_json(j), 0, false);
  });
  writer_.start();
  publisher_->start();
  subscriber_ = std::make_unique<MqttClient>(
      c.mqtt, c.mqtt.client_id, true,
      [this](std::string_view topic, std::string_view payload) {
        ingest_.on_message(topic, payload);
      },
      metrics_);
  subscriber_->start();
  if (!c.http.listen.empty()) {
    http_ = std::make_unique<HttpApi>(
        c.http.listen, HttpDeps{metrics_, ingest_, [this] { return readiness(); }});
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
  if (publisher_) {
    if (!publisher_->wait_published(std::chrono::seconds(2)))
      log->warn("some MQTT publishes were not acknowledged before exit");
    publisher_->stop();
  }
  log->info("stopped: {}", status_line());
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
  migrate_at_start(config);
  Daemon daemon(config);
  return daemon.run(signals);
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

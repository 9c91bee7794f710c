#include "daemon.h"
#include "config_file.h"
#include "messages.h"

#include <pqxx/pqxx>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "aggregator.h"
#include "http_api.h"
#include "ingest.h"
#include "journal.h"
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

/// Readings remembered for deduplication at start, at most (about 100 bytes each).
constexpr std::size_t kMaxWarmIdentities = 2'000'000;

/// Loads the live windows' history from PostgreSQL: the buckets, the readings stamped ahead,
/// and the identities seen within the dedupe horizon.
void warm_aggregator(pqxx::connection& conn, const Config& config, Aggregator& aggregator) {
  auto log = component_log("main");
  const Micros now = now_micros();
  auto rows = load_warm_buckets(conn, config.averages.windows, now);
  aggregator.warm(rows, now);
  auto ahead = load_future_readings(conn, config.averages.windows,
                                    config.averages.max_future_skew, now);
  for (const auto& r : ahead) aggregator.warm_ahead(r, now);
  auto seen = load_recent_identities(conn, config.averages.windows, config.averages.dedupe_horizon, now,
                                     kMaxWarmIdentities);
  for (const auto& r : seen) aggregator.remember(r);
  if (seen.size() == kMaxWarmIdentities)
    log->warn("more than {} readings within the dedupe horizon; older copies may count twice "
              "in the live windows after this restart",
              kMaxWarmIdentities);
  log->info("live windows warmed from PostgreSQL: {} series, {} buckets, {} readings ahead, {} "
            "remembered for dedupe",
            aggregator.series_count(), rows.size(), ahead.size(), seen.size());
}

/// Migrates the database and loads the live windows' history into `aggregator`.
MigrationState prepare_database(const Config& config, Aggregator& aggregator) {
  auto log = component_log("main");
  try {
    auto conn = pg_connect(config.postgres);
    // A migration (an index built over every partition) or the warm start's queries can take
    // minutes on a large database: more than systemd's default 90 s start timeout.
    constexpr std::chrono::minutes kStartStepTime{10};
    if (config.postgres.migrate) {
      notify::status("applying database migrations");
      notify::extend_timeout(kStartStepTime);
      auto applied = apply_migrations(*conn);
      for (const auto& name : applied) log->info("applied migration {}", name);
    }
    ensure_partitions(*conn);
    notify::status("loading the live windows from PostgreSQL");
    notify::extend_timeout(kStartStepTime);
    warm_aggregator(*conn, config, aggregator);
    return MigrationState::done;
  } catch (const std::exception& e) {
    // Not there yet (a boot race, a database still to be created) or not migrated while
    // postgres.migrate is off: the writer keeps trying, migrates when it can, /readyz says
    // why meanwhile, and readings wait in the spool. The live windows then start empty.
    log->warn("PostgreSQL not usable at start ({}); readings will wait in the spool",
              one_line(e.what()));
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

  /// The spool, migrations and warm start. A spool that cannot be written is fatal (throws):
  /// without it, a PostgreSQL outage would lose readings. PostgreSQL being down is not (the
  /// writer migrates when it first connects; readings wait in the spool meanwhile).
  void prepare() {
    // Journal segments left by a crash become spool segments first, so the spool finds them.
    Journal::recover_into_spool(config_->spool.dir + "/journal", config_->spool.dir);
    spool_.open();
    prepare_database(*config_, aggregator_);
  }
  int run(SignalCatcher& signals);

 private:
  void start();
  /// Returns the exit code: 0, or 1 when accepted readings could not be kept.
  int stop(SignalCatcher& signals);
  void tick();
  void reload();
  void averages_loop();
  void publish_averages();
  Readiness readiness() const;
  std::string status_line();

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
  std::unique_ptr<Journal> journal_;
  std::thread journal_sync_thread_;
  std::unique_ptr<MqttClient> publisher_;
  std::unique_ptr<MqttClient> subscriber_;
  std::unique_ptr<HttpApi> http_;
  bool ready_sent_ = false;
  std::chrono::steady_clock::time_point next_watchdog_{};
  std::chrono::steady_clock::time_point next_status_{};
  std::chrono::steady_clock::time_point status_at_ = std::chrono::steady_clock::now();
  unsigned long long status_received_ = 0, status_written_ = 0;
};

Readiness Daemon::readiness() const {
  Readiness r;
  r.mqtt = subscriber_ && subscriber_->ready();
  if (!r.mqtt && subscriber_) r.mqtt_error = subscriber_->last_error();
  r.postgres = writer_.connected();
  if (!r.postgres) r.postgres_error = writer_.last_error();
  r.spool_error = writer_.spool_error();
  r.spool = r.spool_error.empty();
  return r;
}

std::string Daemon::status_line() {
  auto get = [](const auto& a) { return static_cast<unsigned long long>(a.load()); };
  // Rates over the time since the previous status line.
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - status_at_).count();
  const auto received = get(metrics_.readings_received), written = get(metrics_.readings_written);
  const double in_rate = seconds > 0 ? (received - status_received_) / seconds : 0;
  const double out_rate = seconds > 0 ? (written - status_written_) / seconds : 0;
  status_at_ = now;
  status_received_ = received;
  status_written_ = written;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "mqtt %s, postgres %s; %.0f/s in, %.0f/s written; %llu received, %llu written, "
                "queue %llu, spool %llu bytes%s",
                subscriber_ && subscriber_->ready() ? "up" : "down",
                writer_.connected() ? "up" : "down", in_rate, out_rate, received, written,
                get(metrics_.queue_depth), get(metrics_.spool_bytes),
                writer_.spool_writable() ? "" : " (SPOOL NOT WRITABLE)");
  return buf;
}

void Daemon::start() {
  const Config& c = *config_;
  const std::string journal_dir = c.spool.dir + "/journal";
  writer_.set_recovered_sink([this](const Reading& r) { aggregator_.add(r, now_micros()); });
  if (c.spool.journal) {
    journal_ = std::make_unique<Journal>(journal_dir, metrics_);
    journal_->open();
    ingest_.set_journal(journal_.get());
    writer_.set_journal(journal_.get());
    journal_sync_thread_ = std::thread([this, interval = c.spool.fsync_interval] {
      std::unique_lock lock(averages_mutex_);
      while (!averages_stop_) {
        averages_wake_.wait_for(lock, interval, [&] { return averages_stop_; });
        lock.unlock();
        journal_->sync();
        lock.lock();
      }
    });
    component_log("main")->info("journal mode: every accepted reading reaches {} before it is "
                                "acknowledged; fsync every {}",
                                journal_dir, format_duration(c.spool.fsync_interval));
  }
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
      [this](std::string_view topic, std::string_view payload, bool retained) {
        ingest_.on_message(topic, payload, retained);
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

int Daemon::stop(SignalCatcher& signals) {
  auto log = component_log("main");
  // Order matters: first no new input (readings the MQTT thread holds still go in, past the
  // queue limit), then the writer drains everything to PostgreSQL or the spool.
  ingest_.begin_shutdown();
  if (subscriber_) subscriber_->stop();
  if (http_) http_->stop();
  queue_.close();
  // The writer ends within its shutdown budget; a second SIGTERM/SIGINT ends it at once.
  while (!writer_.finished()) {
    if (signals.wait(std::chrono::milliseconds(100)) == SignalCatcher::Event::stop) {
      log->warn("second stop signal: giving up on what is not written yet");
      writer_.abandon();
    }
  }
  writer_.join();
  {
    std::lock_guard lock(averages_mutex_);
    averages_stop_ = true;
  }
  averages_wake_.notify_all();
  if (averages_thread_.joinable()) averages_thread_.join();
  if (journal_sync_thread_.joinable()) journal_sync_thread_.join();
  if (journal_) journal_->close_clean();
  publish_averages();  // the final numbers, with every accepted reading in them
  if (publisher_) {
    if (const auto unacked = publisher_->wait_published(std::chrono::seconds(2)))
      log->warn("{} average message(s) were not acknowledged by the broker before exit; "
                "subscribers keep the previous retained values",
                unacked);
    publisher_->stop();
  }
  log->info("stopped: {}", status_line());
  return writer_.lost() == 0 ? 0 : 1;
}

namespace {

/// A key the running process cannot change (its connections, files and threads were set up
/// from it): `restore` puts the current value back into the new config when they differ.
struct RestartOnlyKey {
  const char* name;
  bool (*restore)(Config& next, const Config& current);
};

template <auto Section, auto Field>
constexpr RestartOnlyKey restart_only(const char* name) {
  return {name, [](Config& next, const Config& current) {
            auto& value = next.*Section.*Field;
            const auto& old = current.*Section.*Field;
            if (value == old) return false;
            value = old;
            return true;
          }};
}

constexpr RestartOnlyKey kRestartOnlyKeys[] = {
    restart_only<&Config::mqtt, &MqttConfig::host>("mqtt.host"),
    restart_only<&Config::mqtt, &MqttConfig::port>("mqtt.port"),
    restart_only<&Config::mqtt, &MqttConfig::client_id>("mqtt.client_id"),
    restart_only<&Config::mqtt, &MqttConfig::clean_session>("mqtt.clean_session"),
    restart_only<&Config::mqtt, &MqttConfig::qos>("mqtt.qos"),
    restart_only<&Config::mqtt, &MqttConfig::keepalive>("mqtt.keepalive"),
    restart_only<&Config::mqtt, &MqttConfig::username>("mqtt.username"),
    restart_only<&Config::mqtt, &MqttConfig::password_file>("mqtt.password_file"),
    restart_only<&Config::mqtt, &MqttConfig::tls>("mqtt.tls"),
    restart_only<&Config::mqtt, &MqttConfig::subscriptions>("mqtt.subscriptions"),
    restart_only<&Config::postgres, &PostgresConfig::dsn>("postgres.dsn"),
    restart_only<&Config::postgres, &PostgresConfig::password_file>("postgres.password_file"),
    restart_only<&Config::postgres, &PostgresConfig::migrate>("postgres.migrate"),
    restart_only<&Config::spool, &SpoolConfig::dir>("spool.dir"),
    restart_only<&Config::spool, &SpoolConfig::journal>("spool.journal"),
    restart_only<&Config::spool, &SpoolConfig::fsync_interval>("spool.fsync_interval"),
    restart_only<&Config::http, &HttpConfig::listen>("http.listen"),
};

}  // namespace

void Daemon::reload() {
  auto log = component_log("main");
  // Before the first READY=1, systemd is still waiting for start-up: a reload must not end
  // that wait early, so RELOADING/READY are only sent around reloads of a running service.
  const bool tell_systemd = ready_sent_;
  if (tell_systemd) notify::reloading();
  const auto current = ingest_.config();
  log->info("SIGHUP: reloading {}", current->path);
  auto loaded = load_config(current->path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) log->error("reload: {}", e.to_string());
    log->error("reload failed; still running with the previous configuration");
    if (tell_systemd) notify::ready();
    return;
  }
  Config next = std::move(*loaded.config);
  for (const auto& key : kRestartOnlyKeys) {
    if (key.restore(next, *current))
      log->warn("reload: {} changed; restart roomtempd to apply it (keeping the old value)",
                key.name);
  }

  set_log_level(next.log.level);
  writer_.set_batch_limits(next.postgres.batch_max_rows, next.postgres.batch_max_delay);
  spool_.set_max_bytes(next.spool.max_bytes);
  if (next.averages.windows != current->averages.windows ||
      next.averages.dedupe_horizon != current->averages.dedupe_horizon) {
    aggregator_.reset(next.averages.windows, next.averages.dedupe_horizon);
    try {
      auto conn = pg_connect(next.postgres);
      warm_aggregator(*conn, next, aggregator_);
    } catch (const std::exception& e) {
      log->warn("reload: new windows start empty (PostgreSQL: {})", e.what());
    }
    log->info("reload: windows are now {}", [&] {
      std::string list;
      for (auto w : next.averages.windows) list += (list.empty() ? "" : ", ") + format_duration(w);
      return list;
    }());
  }
  ingest_.set_config(std::make_shared<const Config>(std::move(next)));
  averages_wake_.notify_all();  // a new publish_interval takes effect now
  log->info("reload done");
  if (tell_systemd) notify::ready();
}

void Daemon::publish_averages() {
  for (const auto& u : aggregator_.tick(now_micros())) {
    const std::string window = format_duration(u.length);
    const std::string topic = u.key.room.empty()
                                  ? building_average_topic(u.key.building, u.key.metric, window)
                                  : room_average_topic(u.key.building, u.key.room, u.key.metric,
                                                       window);
    if (publisher_->publish(topic, average_json(u.key, u.length, u.stats), 1, true))
      metrics_.averages_published.fetch_add(1, std::memory_order_relaxed);
  }
}

void Daemon::averages_loop() {
  std::unique_lock lock(averages_mutex_);
  while (!averages_stop_) {
    const auto interval = ingest_.config()->averages.publish_interval;
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
        return stop(signals);
      case SignalCatcher::Event::reload:
        reload();
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

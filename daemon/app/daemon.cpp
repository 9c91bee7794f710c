#include "daemon.h"

#include "database.h"
#include "ha_discovery.h"
#include "log.h"
#include "messages.h"
#include "notify.h"
#include "pg_connect.h"
#include "reload.h"
#include "topic.h"
#include "version.h"
#include "warm_start.h"

namespace roomtemp {
namespace {

/// Readings the MQTT thread may hand over before it waits for the writer. Large enough to
/// absorb a few batches, small enough to bound memory (~200 bytes each).
constexpr std::size_t kQueueCapacity = 100'000;

/// How often the rollups take in what was stored (store/rollups.h): well within the two minutes
/// the README promises.
constexpr auto kFoldEvery = std::chrono::seconds(10);
/// How often the background housekeeping of stored data takes a step (store/lifecycle.h): at
/// once again while days wait to be backfilled. The first rounds of both come soon, but after
/// the start's own queries.
constexpr auto kLifecycleEvery = std::chrono::seconds(60);
constexpr auto kLifecycleBusyEvery = std::chrono::seconds(1);
constexpr auto kBackgroundFirst = std::chrono::seconds(2);

/// How often STATUS= is renewed.
constexpr auto kStatusEvery = std::chrono::seconds(5);

std::string journal_dir(const Config& c) { return c.spool.dir + "/journal"; }

/// Fills (freshly reset) live windows from PostgreSQL; when it cannot, says so and leaves them
/// empty to fill with what arrives.
void warm_or_start_empty(const Config& c, Aggregator& aggregator) {
  try {
    auto conn = pg_connect(c.postgres);
    warm_aggregator(*conn, c, aggregator);
  } catch (const std::exception& e) {
    component_log("main")->warn("the live windows start empty (PostgreSQL: {})",
                                one_line(e.what()));
  }
}

}  // namespace

Daemon::Daemon(const Config& config)
    : config_(std::make_shared<const Config>(config)),
      aggregator_(config.averages.windows, config.averages.dedupe_horizon),
      alarm_engine_(AlarmSettings{config.alarms, config.silence}),
      queue_(kQueueCapacity),
      spool_(config.spool.dir, config.spool.max_bytes, metrics_),
      writer_(config.postgres, queue_, spool_, metrics_),
      rollups_(config_, metrics_),
      lifecycle_(config_, metrics_),
      ingest_(config_, queue_, metrics_),
      status_(metrics_, writer_) {
  // Home Assistant discovery learns of new series from the aggregator (warm start's included).
  aggregator_.track_new_rooms();
  if (!config.cluster.name.empty()) {
    cluster_ = std::make_unique<Cluster>(config.cluster, config_, metrics_);
    status_.set_cluster(cluster_.get());
  }
}

Daemon::~Daemon() {
  // After a failed start run() never stopped them: the publishing client's network thread hands
  // messages to discovery, which is destroyed first (declared later), so both stop here.
  if (discovery_) discovery_->stop();
  if (publisher_) publisher_->stop();
  if (cluster_) cluster_->stop(false);
  if (activation_.joinable()) activation_.join();
  if (rewarm_.joinable()) rewarm_.join();
}

void Daemon::prepare() {
  const Config& c = *config_.get();
  // Journal segments left by a crash become spool segments first, so the spool finds them.
  Journal::recover_into_spool(journal_dir(c), c.spool.dir);
  spool_.open();
  prepare_database(c, aggregator_);
}

void Daemon::start() {
  const Config& c = *config_.get();
  auto add_to_windows = [this](const Reading& r) { this->add_to_windows(r); };
  // store: the writer, and in journal mode the journal every input passes first.
  writer_.set_recovered_sink(add_to_windows);
  if (c.spool.journal) {
    journal_ = std::make_unique<Journal>(journal_dir(c), metrics_);
    journal_->open();
    ingest_.set_journal(journal_.get());
    writer_.set_journal(journal_.get());
    journal_sync_ = std::make_unique<PeriodicTask>(
        "journal sync", [interval = c.spool.fsync_interval] { return interval; },
        [this] { journal_->sync(); });
    component_log("main")->info(
        "journal mode: every accepted reading reaches {} before it is "
        "acknowledged; fsync every {}",
        journal_dir(c), format_duration(c.spool.fsync_interval));
  }
  // Once everything this instance kept is written: a standby may compete for the lease, and
  // the alarm states of earlier runs are read back.
  writer_.set_caught_up([this] {
    spool_replayed_ = true;
    AlarmPublisher* alarms = alarms_for_writer_.load();
    return alarms && alarms->restore_step();
  });
  writer_.start();
  // store, in the background: the rollups, and the slower housekeeping of what is stored (the
  // active's work; both are safe beside another instance's, but need not be done twice).
  metrics_.rollups_folded_at = now_micros();
  rollups_task_ = std::make_unique<PeriodicTask>(
      "rollups", [] { return std::chrono::duration_cast<Duration>(kFoldEvery); },
      [this] {
        if (acting()) rollups_.run_once();
      },
      kBackgroundFirst);
  lifecycle_task_ = std::make_unique<PeriodicTask>(
      "lifecycle",
      [this] {
        return std::chrono::duration_cast<Duration>(lifecycle_.busy() ? kLifecycleBusyEvery
                                                                      : kLifecycleEvery);
      },
      [this] {
        if (acting()) lifecycle_.run_once();
      },
      kBackgroundFirst);
  // ingest: every accepted reading to the live windows and the writer's queue.
  ingest_.set_reading_sink(add_to_windows);
  ingest_.set_rejection_publisher([this](const Rejection& j) {
    if (publisher_) publisher_->publish(std::string(kRejectedTopic), rejection_json(j), 0, false);
  });
  // api
  if (!c.http.listen.empty()) {
    http_ = std::make_unique<HttpApi>(
        c.http.listen, HttpDeps{metrics_, ingest_, aggregator_,
                                [this] { return status_.readiness(); }, config_, &alarm_engine_});
    http_->start();
  }
  if (cluster_ && !c.spool.journal)
    component_log("cluster")->warn(
        "cluster {} without spool.journal: a killed active loses the readings it held in "
        "memory (the broker counts them delivered); set spool.journal: true",
        c.cluster.name);
  if (cluster_)
    cluster_->start([this] { return spool_replayed_.load(); });
  else
    activate();
}

void Daemon::begin_activation() {
  const Config next = *config_.get();
  aggregator_.reset(next.averages.windows, next.averages.dedupe_horizon);
  activation_ = std::thread([this, next] {
    warm_or_start_empty(next, aggregator_);
    warmed_ = true;
  });
}

void Daemon::activate() {
  activated_ = true;
  const Config& c = *config_.get();
  auto fence = [this] { return acting(); };
  // MQTT out: averages, rejections, alarms and Home Assistant discovery. Its presence is
  // roomtemp/status (with the last will): what Home Assistant's availability follows, so it
  // says whether the averages are being published.
  auto publisher = std::make_unique<MqttClient>(
      c.mqtt, c.mqtt.client_id + "-pub", false,
      [this](std::string_view topic, std::string_view payload, bool retained) {
        discovery_->on_message(topic, payload, retained);
      },
      metrics_);
  publisher->set_presence({std::string(kStatusTopic), std::string(kOnline), std::string(kOffline)});
  publisher->set_fence(fence);
  discovery_ = std::make_unique<DiscoveryPublisher>(aggregator_, *publisher, config_, metrics_,
                                                    ROOMTEMP_VERSION);
  publisher_ = std::move(publisher);
  publisher_->start();
  discovery_->start();
  // The series PostgreSQL knows, read at the alarm restore, are discovery's too.
  auto alarms = std::make_unique<AlarmPublisher>(alarm_engine_, aggregator_, *publisher_, queue_,
                                                 config_, metrics_);
  alarms->set_series_sink(
      [this](const std::vector<SeriesKey>& rooms) { discovery_->add_stored_series(rooms); });
  alarms_ = std::move(alarms);
  alarms_for_writer_ = alarms_.get();
  averages_ = std::make_unique<AveragesPublisher>(aggregator_, *publisher_, config_, metrics_);
  averages_->set_alarms(alarms_.get());
  averages_->set_fence(fence);
  averages_->start();
  // MQTT in.
  auto subscriber = std::make_unique<MqttClient>(
      c.mqtt, c.mqtt.client_id, true,
      [this](std::string_view topic, std::string_view payload, bool retained) {
        ingest_.on_message(topic, payload, retained);
      },
      metrics_);
  subscriber->set_fence(fence);
  subscriber_ = std::move(subscriber);
  status_.set_subscriber(subscriber_.get());
  status_.set_alarms(&alarm_engine_);
  subscriber_->start();
}

int Daemon::run(SignalCatcher& signals) {
  while (true) {
    heartbeat();
    if (cluster_ && (cluster_->role() == Cluster::Role::lost || (activated_ && !cluster_->holds())))
      return step_down(signals);
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

void Daemon::heartbeat() {
  const auto now = std::chrono::steady_clock::now();
  // A standby is ready as a standby: systemd's start ends, and /readyz says "standby".
  const bool standing_by = cluster_ && !activated_;
  if (!ready_sent_ && (standing_by || subscriber_->ready())) {
    ready_sent_ = true;
    notify::ready();
    component_log("main")->info(standing_by ? "ready, standing by" : "ready");
  }
  if (cluster_ && !activated_ && cluster_->holds()) {
    if (!activation_.joinable()) {
      component_log("main")->info("active: warming the live windows from PostgreSQL");
      begin_activation();
    } else if (warmed_) {
      activation_.join();
      activate();
      next_status_ = now;
    }
    handovers_seen_ = cluster_->handovers();
  } else if (cluster_ && activated_ && cluster_->handovers() != handovers_seen_) {
    handovers_seen_ = cluster_->handovers();
    rewarm(*config_.get(),
           "cluster: another instance wrote readings this one has not seen (a stepped-down "
           "active's last ones, or a returning instance's journal)");
  }
  if (now >= next_watchdog_) {
    if (auto interval = notify::watchdog_interval()) {
      notify::watchdog();
      next_watchdog_ = now + *interval / 2;
    } else {
      next_watchdog_ = now + std::chrono::hours(1);
    }
  }
  if (now >= next_status_) {
    notify::status(status_.line());
    next_status_ = now + kStatusEvery;
  }
}

void Daemon::reload() {
  // Before the first READY=1, systemd is still waiting for start-up: a reload must not end
  // that wait early, so RELOADING/READY are only sent around reloads of a running service.
  const bool tell_systemd = ready_sent_;
  if (tell_systemd) notify::reloading();
  const auto current = config_.get();
  if (auto next = reload_config(*current)) {
    set_log_level(next->log.level);
    writer_.set_batch_limits(next->postgres.batch_max_rows, next->postgres.batch_max_delay);
    spool_.set_max_bytes(next->spool.max_bytes);
    if (next->averages.windows != current->averages.windows ||
        next->averages.dedupe_horizon != current->averages.dedupe_horizon) {
      std::string list;
      for (auto w : next->averages.windows) list += (list.empty() ? "" : ", ") + format_duration(w);
      rewarm(*next, "reload: windows are now " + list);
    }
    config_.set(std::make_shared<const Config>(std::move(*next)));
    averages_->wake();  // a new publish_interval and new alarm rules take effect now
    discovery_->wake();
    if (lifecycle_task_) lifecycle_task_->wake();  // new retention ages apply now
    component_log("main")->info("reload done");
  }
  if (tell_systemd) notify::ready();
}

void Daemon::add_to_windows(const Reading& r) {
  std::lock_guard lock(windows_mutex_);
  if (holding_back_)
    held_back_.push_back(r);
  else
    aggregator_.add(r, now_micros());
}

void Daemon::rewarm(const Config& next, const std::string& why) {
  component_log("main")->info("{}; warming the live windows from PostgreSQL", why);
  if (rewarm_.joinable()) rewarm_.join();  // an earlier one
  {
    std::lock_guard lock(windows_mutex_);
    holding_back_ = true;
  }
  // The new windows now, empty until the warm fills them (readers see the new set at once).
  aggregator_.reset(next.averages.windows, next.averages.dedupe_horizon);
  rewarm_ = std::thread([this, next] {
    // Everything accepted before the hold reaches PostgreSQL (or the spool) first, so that the
    // warm finds what the old windows held; what comes meanwhile is held back.
    const std::uint64_t before = queue_.pushed();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (writer_.handled() < before && !writer_.finished() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    warm_or_start_empty(next, aggregator_);
    std::lock_guard lock(windows_mutex_);
    for (const auto& r : held_back_) aggregator_.add(r, now_micros());
    held_back_.clear();
    holding_back_ = false;
  });
}

void Daemon::drain(SignalCatcher& signals, bool publish) {
  auto log = component_log("main");
  // Order matters: first no new input (readings the MQTT thread holds still go in, past the
  // queue limit), then the writer drains everything to PostgreSQL or the spool.
  ingest_.begin_shutdown();
  // Background work in progress is cancelled, not waited for (a rebuild may take minutes).
  lifecycle_.stop();
  if (lifecycle_task_) lifecycle_task_->stop();
  rollups_.stop();
  if (rollups_task_) rollups_task_->stop();
  if (subscriber_) subscriber_->stop();
  if (http_) http_->stop();
  // The last alarm step while the writer still takes events: every transition decided is
  // stored (or spooled). What only the spool's replay below could still change is decided by
  // the next start, which evaluates every room again.
  if (discovery_) discovery_->stop();
  if (averages_) averages_->stop();
  if (averages_ && publish) averages_->publish_changed();
  if (alarms_) alarms_->stop();
  queue_.close();
  // The writer ends within its shutdown budget; a second SIGTERM/SIGINT ends it at once.
  while (!writer_.finished()) {
    if (signals.wait(std::chrono::milliseconds(100)) == SignalCatcher::Event::stop) {
      log->warn("second stop signal: giving up on what is not written yet");
      writer_.abandon();
    }
  }
  writer_.join();
  if (rewarm_.joinable()) rewarm_.join();
  if (activation_.joinable()) activation_.join();
  if (journal_sync_) journal_sync_->stop();
  if (journal_) journal_->close_clean();
}

int Daemon::stop(SignalCatcher& signals) {
  auto log = component_log("main");
  drain(signals, true);
  // The final numbers, every accepted reading in (the spool's replay too).
  if (averages_) averages_->publish_changed(false);
  if (publisher_) {
    if (const auto unacked = publisher_->wait_published(std::chrono::seconds(2)))
      log->warn(
          "{} average message(s) were not acknowledged by the broker before exit; "
          "subscribers keep the previous retained values",
          unacked);
    publisher_->stop();
  }
  // Last: a standby takes over at its next look, once nothing here acts any more.
  if (cluster_) cluster_->stop(true);
  log->info("stopped: {}", status_.line());
  return writer_.lost() == 0 ? 0 : 1;
}

int Daemon::step_down(SignalCatcher& signals) {
  auto log = component_log("main");
  log->error(
      "stepping down: {}; no more input, nothing more published; what was accepted is being "
      "written; exit {} (systemd starts this instance again, as a standby)",
      cluster_->lost_reason().empty() ? "the cluster lease ran out" : cluster_->lost_reason(),
      kExitSteppedDown);
  notify::status("stepping down: the cluster lease is lost");
  notify::stopping();
  drain(signals, false);
  // The fence is down: the publisher says nothing on roomtemp/status (the new active's
  // `online` stays) and disconnects.
  if (publisher_) publisher_->stop();
  cluster_->stop(false);
  // What the writer stored since the lease ran out, the new active has not seen.
  if (writer_.lost() == 0) cluster_->hand_over();
  log->info("stepped down: {}", status_.line());
  return kExitSteppedDown;
}

}  // namespace roomtemp

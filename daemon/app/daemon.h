#pragma once
#include <chrono>
#include <memory>
#include <thread>

#include "aggregator.h"
#include "alarm_publisher.h"
#include "alarms.h"
#include "averages_publisher.h"
#include "cluster.h"
#include "config.h"
#include "discovery_publisher.h"
#include "http_api.h"
#include "ingest.h"
#include "journal.h"
#include "lifecycle.h"
#include "live_config.h"
#include "metrics.h"
#include "mqtt_client.h"
#include "periodic_task.h"
#include "queue.h"
#include "rollups.h"
#include "signals.h"
#include "spool.h"
#include "status.h"
#include "writer.h"

namespace roomtemp {

/// The composition root: every part of the running daemon, built in the order the README's
/// architecture draws (core state, then store, ingest, api) and stopped in reverse.
class Daemon {
 public:
  explicit Daemon(const Config& config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Before the network: the journal a crash left goes into the spool, the spool is opened
  /// (throws when it cannot be written: without it a PostgreSQL outage would lose readings),
  /// the database is migrated and the live windows warmed from it.
  void prepare();
  /// The threads, in order: writer, HTTP, then (at once when alone, once this instance holds
  /// the cluster's lease otherwise: activate) MQTT out (with Home Assistant discovery), the
  /// averages tick (and alarms), MQTT in.
  void start();
  /// The main loop until SIGTERM/SIGINT: READY=1 once subscribed (or standing by), WATCHDOG=1,
  /// STATUS= lines, SIGHUP reloads, a standby's activation. Then stops every part in reverse;
  /// returns the exit code: kExitSteppedDown when the active lost its lease.
  int run(SignalCatcher& signals);

  /// The exit status of an active that lost its lease (EX_TEMPFAIL): systemd's
  /// Restart=on-failure starts it again, as a standby.
  static constexpr int kExitSteppedDown = 75;

 private:
  /// One turn of the main loop: what systemd hears from us.
  void heartbeat();
  /// True while this instance may act: always when alone, while it holds the lease otherwise.
  bool acting() const { return !cluster_ || cluster_->holds(); }
  /// The parts an active runs, once the live windows are warm: MQTT out, discovery, alarms,
  /// the averages tick, MQTT in.
  void activate();
  /// A standby that just got the lease: the live windows again from PostgreSQL (what the
  /// previous active stored since this instance started), on a thread of its own.
  void begin_activation();
  /// The lease is gone: no more input, nothing published, what was accepted written; returns
  /// kExitSteppedDown.
  int step_down(SignalCatcher& signals);
  /// What stop and step_down share: input ends, the writer drains. `publish` says whether the
  /// last averages and alarm step go out.
  void drain(SignalCatcher& signals, bool publish);
  /// SIGHUP: a new configuration, applied to each part that can take it live.
  void reload();
  /// Warms new windows from PostgreSQL on a thread of its own (the main thread answers the
  /// watchdog and must not wait on the database).
  void rewarm(const Config& next, const std::string& why);
  /// Returns the exit code: 0, or 1 when accepted readings could not be kept.
  int stop(SignalCatcher& signals);

  LiveConfig config_;
  Metrics metrics_;
  Aggregator aggregator_;
  AlarmEngine alarm_engine_;
  BoundedQueue<Inbound> queue_;
  Spool spool_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<PeriodicTask> journal_sync_;
  Writer writer_;
  RollupFolder rollups_;
  std::unique_ptr<PeriodicTask> rollups_task_;
  DataLifecycle lifecycle_;
  std::unique_ptr<PeriodicTask> lifecycle_task_;
  Ingest ingest_;
  Status status_;
  std::unique_ptr<MqttClient> publisher_;
  std::unique_ptr<DiscoveryPublisher> discovery_;
  std::unique_ptr<AlarmPublisher> alarms_;
  std::unique_ptr<AveragesPublisher> averages_;
  std::unique_ptr<MqttClient> subscriber_;
  std::unique_ptr<HttpApi> http_;
  std::unique_ptr<Cluster> cluster_;
  /// Set by the writer once this instance's spool is in PostgreSQL: a standby competes then.
  std::atomic<bool> spool_replayed_{false};
  /// The alarms, for the writer's thread (which restores them once caught up).
  std::atomic<AlarmPublisher*> alarms_for_writer_{nullptr};
  std::thread activation_;
  std::atomic<bool> warmed_{false};
  bool activated_ = false;
  std::int64_t handovers_seen_ = 0;  ///< the cluster's handover count the windows include
  std::thread rewarm_;
  /// What goes into the live windows, readings accepted and recovered alike. While a rewarm
  /// runs they wait in `held_back_`, and go in after it: reset and warm see none of them, so
  /// none is lost with the old windows or counted twice (the warm remembers what PostgreSQL
  /// has, and add() skips those).
  void add_to_windows(const Reading& r);
  std::mutex windows_mutex_;
  bool holding_back_ = false;
  std::vector<Reading> held_back_;
  bool ready_sent_ = false;
  std::chrono::steady_clock::time_point next_watchdog_{};
  std::chrono::steady_clock::time_point next_status_{};
};

}  // namespace roomtemp

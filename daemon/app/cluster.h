#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "config.h"
#include "lease.h"
#include "live_config.h"
#include "metrics.h"
#include "task_connection.h"

namespace roomtemp {

/// Active/standby (README "Standby and failover"). Instances of one group compete for the
/// group's lease in PostgreSQL (store/lease.h); the one holding it is active, the others stand
/// by. The active renews its lease every takeover/10 for takeover/2 and counts it as held only
/// until 80 % of that has passed since the renewal was sent, on its own CLOCK_BOOTTIME, which
/// runs on while the process is stopped (SIGSTOP) or the machine sleeps. So by its own clock
/// an active has stopped acting before PostgreSQL lets a standby take over, whether it was
/// killed, frozen or cut off from PostgreSQL. Every action of an active (connecting to the
/// broker, publishing, the averages tick, the background housekeeping) asks holds() first.
class Cluster {
 public:
  enum class Role { standby, active, lost };

  Cluster(const ClusterConfig& config, const LiveConfig& live, Metrics& metrics);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Starts competing for the lease, on a thread of its own, once `may_compete` says so (this
  /// instance's spool is in PostgreSQL: a returning instance hands over what it kept first).
  void start(std::function<bool()> may_compete);
  /// Ends the thread; with `release`, gives the lease back if held so that a standby takes
  /// over at its next look rather than after the lease expired.
  void stop(bool release);

  Role role() const { return role_.load(); }
  /// True while this instance is active and its lease has not run out by its own clock.
  bool holds() const;
  /// This instance's name in the lease: host:pid:random.
  const std::string& name() const { return table_.holder(); }
  /// The active instance as last seen ("" when unknown).
  std::string active_name() const;
  /// Why the lease was lost ("" while it was not).
  std::string lost_reason() const;
  /// The group's handover count as last seen (store/lease.h): when it grows while this
  /// instance is active, another instance wrote readings its live windows have not seen.
  std::int64_t handovers() const { return handovers_.load(); }
  /// Not the active (stepping down): says that this instance wrote readings the active has not
  /// seen. From the main thread, once the cluster thread has ended.
  void hand_over();

  /// How long a lease lasts, how often it is renewed (and looked at by a standby), and how long
  /// its holder counts it as held after sending a renewal: all from cluster.takeover.
  static std::chrono::milliseconds lease_length(Duration takeover);
  static std::chrono::milliseconds look_every(Duration takeover);
  static std::chrono::milliseconds held_for(Duration takeover);

 private:
  void run();
  /// One look as a standby: takes the lease when it is free.
  void compete(pqxx::connection& conn);
  /// One renewal as the active.
  void renew(pqxx::connection& conn);
  void lose(const std::string& why);

  const ClusterConfig config_;
  Metrics& metrics_;
  LeaseTable table_;
  TaskConnection conn_;
  std::function<bool()> may_compete_;
  std::atomic<Role> role_{Role::standby};
  std::atomic<std::int64_t> held_until_ns_{0};  ///< CLOCK_BOOTTIME
  std::atomic<std::int64_t> handovers_{0};
  bool handed_over_ = false;  ///< a standby's writes before it competed were announced
  std::int64_t term_ = 0;     ///< the cluster thread's only
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string active_name_;
  std::string lost_reason_;
  std::thread thread_;
};

}  // namespace roomtemp

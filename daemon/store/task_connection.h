#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>

#include "live_config.h"

namespace roomtemp {

/// A background task's own PostgreSQL connection to the configured database: opened when
/// needed, and again after a failure or when a reload changed the DSN; given out only once the
/// database is migrated (the writer migrates; until then there is nothing to look after).
/// Used by one thread, except cancel().
class TaskConnection {
 public:
  TaskConnection(const LiveConfig& config, std::string component)
      : config_(config), component_(std::move(component)) {}

  /// The connection, or null while PostgreSQL is unreachable or not migrated, or after
  /// cancel().
  pqxx::connection* get();
  /// Drops the connection after a failure: the next get() opens a fresh one.
  void reset();
  /// From another thread (at shutdown): cancels the statement running now, and get() gives
  /// out nothing from then on.
  void cancel();
  bool cancelled() const { return cancelled_.load(); }

 private:
  const LiveConfig& config_;
  const std::string component_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;  ///< guards conn_ itself (not its use) against cancel()
  std::unique_ptr<pqxx::connection> conn_;
  std::string dsn_;  ///< what conn_ was opened with
};

}  // namespace roomtemp

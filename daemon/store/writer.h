#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "batch_writer.h"
#include "config.h"
#include "metrics.h"
#include "queue.h"
#include "reading.h"

namespace roomtemp {

class Spool;
class Journal;

/// The writer thread: takes batches from the ingest queue and hands them to the BatchWriter.
/// While PostgreSQL is unreachable, batches go to the spool; when it is back, the spool is
/// written first, in order, then live batches again. At shutdown it drains the queue to
/// PostgreSQL or the spool within a bounded time.
class Writer {
 public:
  Writer(const PostgresConfig& config, BoundedQueue<Inbound>& queue, Spool& spool,
         Metrics& metrics);
  ~Writer();

  void start();
  /// Returns once the queue is closed and everything in it is committed or spooled, or, when
  /// neither PostgreSQL nor the spool takes it, once the shutdown budget is spent (what is
  /// left is then counted in roomtemp_readings_lost_total and logged).
  void join();
  /// True once the writer thread has ended.
  bool finished() const { return finished_.load(); }
  /// Items taken from the queue and written or spooled: everything the queue had pushed
  /// (BoundedQueue::pushed) up to that count is in PostgreSQL or the spool.
  std::uint64_t handled() const { return handled_.load(); }
  /// Stop now (a second SIGTERM): give up on what PostgreSQL and the spool do not take at
  /// once, counting it as lost.
  void abandon() { abandon_ = true; }
  /// Accepted readings and rejections given up at shutdown (0 after a clean stop).
  std::uint64_t lost() const { return lost_.load(); }

  /// Journal mode: batches the writer has committed or spooled are released from it.
  void set_journal(Journal* journal) { journal_ = journal; }
  /// Receives the readings replayed from a spool left by an earlier run that PostgreSQL did
  /// not have yet (so the live windows can count them).
  void set_recovered_sink(std::function<void(const Reading&)> sink) {
    recovered_sink_ = std::move(sink);
  }

  /// Runs `step` on the writer thread once PostgreSQL is connected and everything earlier runs
  /// left in the spool is written (the alarm engine's restore: alarm_events then holds every
  /// transition they decided), again at later turns until it returns true.
  void set_caught_up(std::function<bool()> step) { caught_up_ = std::move(step); }

  /// Batch limits can change on reload.
  void set_batch_limits(std::size_t max_rows, Duration max_delay);

  /// Connected to PostgreSQL, and its schema is migrated.
  bool connected() const { return db_.connected(); }
  /// The last connection or write error, for /readyz.
  std::string last_error() const { return db_.last_error(); }
  /// False while the spool cannot be written (PostgreSQL down would then lose readings).
  bool spool_writable() const { return spool_error().empty(); }
  /// Why the spool cannot be written, "" while it can.
  std::string spool_error() const;

 private:
  void run();
  /// Writes spooled batches to PostgreSQL while it works; true when the spool is empty.
  bool drain_spool();
  /// Commits a batch, or spools what PostgreSQL did not take.
  void handle(std::vector<Inbound> batch);
  /// Idle: is the spool still writable? (every few seconds)
  void check_spool();
  void set_spool_error(const std::string& why);
  /// Shutdown only: true when the budget for writing what is left is spent (or abandon()).
  bool shutdown_budget_spent();
  void give_up(const std::vector<Inbound>& batch, const std::string& why);

  BoundedQueue<Inbound>& queue_;
  Spool& spool_;
  Metrics& metrics_;
  BatchWriter db_;
  Journal* journal_ = nullptr;
  std::function<void(const Reading&)> recovered_sink_;
  std::function<bool()> caught_up_;
  std::thread thread_;
  std::atomic<std::size_t> batch_max_rows_;
  std::atomic<std::int64_t> batch_max_delay_ms_;
  std::atomic<bool> finished_{false};
  std::atomic<std::uint64_t> handled_{0};
  std::atomic<bool> abandon_{false};
  std::atomic<std::uint64_t> lost_{0};
  std::optional<std::chrono::steady_clock::time_point> shutdown_deadline_;
  mutable std::mutex spool_error_mutex_;
  std::string spool_error_;  ///< guarded by spool_error_mutex_
  std::chrono::steady_clock::time_point next_spool_check_{};
};

}  // namespace roomtemp

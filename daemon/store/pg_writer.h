#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "metrics.h"
#include "queue.h"
#include "reading.h"

#include <pqxx/connection>

namespace roomtemp {

/// A float8 as COPY text: the shortest digits that read back as exactly `v`.
std::string float_text(double v);

class Spool;
class Journal;

/// The writer thread: takes batches from the ingest queue and commits them to PostgreSQL
/// (COPY straight into `readings`; when a copy of some row is already stored — a redelivery, a
/// replayed spool — the batch goes through a staging table and INSERT … ON CONFLICT DO NOTHING
/// instead, so it is stored once). While PostgreSQL is unreachable, batches go to the spool; when it is back,
/// the spool is written first, in order, then live batches again.
class PgWriter {
 public:
  PgWriter(PostgresConfig config, BoundedQueue<Inbound>& queue, Spool& spool, Metrics& metrics);
  ~PgWriter();

  void start();
  /// Returns once the queue is closed and everything in it is committed or spooled, or, when
  /// neither PostgreSQL nor the spool takes it, once the shutdown budget is spent (what is
  /// left is then counted in roomtemp_readings_lost_total and logged).
  void join();
  /// True once the writer thread has ended.
  bool finished() const { return finished_.load(); }
  /// Stop now (a second SIGTERM): give up on what PostgreSQL and the spool do not take at
  /// once, counting it as lost.
  void abandon() { abandon_ = true; }
  /// Accepted readings given up at shutdown (0 after a clean stop).
  std::uint64_t lost() const { return lost_.load(); }

  /// Journal mode: batches the writer has committed or spooled are released from it.
  void set_journal(Journal* journal) { journal_ = journal; }
  /// Receives the readings replayed from a spool left by an earlier run that PostgreSQL did
  /// not have yet (so the live windows can count them).
  void set_recovered_sink(std::function<void(const Reading&)> sink) {
    recovered_sink_ = std::move(sink);
  }

  /// Batch limits can change on reload.
  void set_batch_limits(std::size_t max_rows, Duration max_delay);

  /// Connected to PostgreSQL, and its schema is migrated.
  bool connected() const { return connected_.load(); }
  /// The last connection or write error, for /readyz.
  std::string last_error() const;
  /// False while the spool cannot be written (PostgreSQL down would then lose readings).
  bool spool_writable() const { return spool_error().empty(); }
  /// Why the spool cannot be written, "" while it can.
  std::string spool_error() const;

 private:
  void run();
  bool ensure_connected();
  void disconnect(const std::string& why);
  enum class WriteResult {
    committed,
    unavailable,  ///< connection lost or server trouble: disconnected, retry the batch later
    refused,      ///< PostgreSQL refused some row's data (SQLSTATE class 22/23): never retry as is
  };
  /// Commits a batch in one transaction.
  WriteResult write_batch(const std::vector<Inbound>& batch, std::vector<Reading>* inserted);
  /// Commits a batch; when PostgreSQL refuses some row, splits the batch until that row is
  /// alone and keeps it as a rejection (so one bad row cannot hold up the others forever).
  /// Returns how many items from the front are done: all, or fewer when PostgreSQL became
  /// unavailable part way. Only the rest may be written again — the parts already committed
  /// include rejections, which have no key that would make a second copy harmless.
  std::size_t commit(const std::vector<Inbound>& batch, std::vector<Reading>* inserted = nullptr);
  /// One row PostgreSQL refused: stored as a rejection with the reason, or logged and counted.
  bool quarantine(const Inbound& item, const std::string& why);
  /// Writes spooled batches to PostgreSQL while it works; true when the spool is empty.
  bool drain_spool();
  /// Applies the migrations the database lacks (postgres.migrate) or checks there are none;
  /// throws when the schema is not usable. Run on every new connection, so a database that
  /// was missing at start, or created afterwards, is migrated when it first answers.
  void prepare_schema();
  void maintain_partitions();
  void probe();
  void check_spool();
  void handle(std::vector<Inbound> batch);
  /// Shutdown only: true when the budget for writing what is left is spent (or abandon()).
  bool shutdown_budget_spent();
  void set_spool_error(const std::string& why);
  void give_up(const std::vector<Inbound>& batch, const std::string& why);

  PostgresConfig config_;
  BoundedQueue<Inbound>& queue_;
  Spool& spool_;
  Metrics& metrics_;
  Journal* journal_ = nullptr;
  std::function<void(const Reading&)> recovered_sink_;
  std::unique_ptr<pqxx::connection> conn_;
  std::thread thread_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> abandon_{false};
  std::atomic<std::uint64_t> lost_{0};
  std::optional<std::chrono::steady_clock::time_point> shutdown_deadline_;
  std::string spool_error_;  ///< guarded by error_mutex_
  std::chrono::steady_clock::time_point next_spool_check_{};
  std::string last_logged_error_;  ///< writer thread only: the outage reason last logged
  std::chrono::steady_clock::time_point last_logged_at_{};
  std::atomic<std::size_t> batch_max_rows_;
  std::atomic<std::int64_t> batch_max_delay_ms_;
  mutable std::mutex error_mutex_;
  std::string last_error_;
  std::string last_refusal_;  ///< why PostgreSQL refused the last batch (writer thread only)
  std::chrono::steady_clock::time_point next_connect_attempt_{};
  std::chrono::milliseconds backoff_{250};
  std::chrono::steady_clock::time_point next_partition_check_{};
  std::chrono::steady_clock::time_point next_probe_{};
};

}  // namespace roomtemp

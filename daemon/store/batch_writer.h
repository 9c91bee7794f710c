#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "config.h"
#include "metrics.h"
#include "reading.h"
#include "series_ids.h"

namespace roomtemp {

/// Commits batches of readings and rejections to PostgreSQL on one connection, which it opens
/// (with backoff), migrates and keeps: COPY straight into `readings_raw`, under the series and
/// sensor ids SeriesIds resolves; when a copy of some row is already stored (a redelivery, a
/// replayed spool) the batch goes through a staging table and INSERT … ON CONFLICT DO NOTHING
/// instead, so it is stored once. In the same transaction, what it stored goes to rollup_delta
/// for the rollups (store/rollups.h). A row PostgreSQL refuses is found by splitting the batch
/// and kept as a rejection. Used by the writer thread only.
class BatchWriter {
 public:
  /// `rollups` false leaves rollup_delta alone: only for measuring what keeping them costs.
  BatchWriter(PostgresConfig config, Metrics& metrics, bool rollups = true);

  /// Connected (connecting, migrating and making the staging table when not, unless the
  /// backoff since the last failure has not passed).
  bool ensure_connected();
  /// Connected to PostgreSQL, and its schema is migrated (any thread).
  bool connected() const { return connected_.load(); }
  /// The last connection or write error, for /readyz (any thread).
  std::string last_error() const;

  /// Commits a batch in one transaction, splitting it around rows PostgreSQL refuses. Returns
  /// how many items from the front are done: all, or fewer when PostgreSQL became unavailable
  /// part way; only the rest may be written again (rejections have no key that would make a
  /// second copy harmless). `inserted` (when given) gets the readings that were new.
  std::size_t commit(const std::vector<Inbound>& batch, std::vector<Reading>* inserted = nullptr);

  /// Idle housekeeping: notices a lost server within seconds (SELECT 1) and creates the
  /// coming days' partitions every half hour.
  void keep_alive();

 private:
  enum class WriteResult {
    committed,
    unavailable,  ///< connection lost or server trouble: disconnected, retry the batch later
    refused,      ///< PostgreSQL refused some row's data (SQLSTATE class 22/23): never retry as is
  };
  WriteResult write_batch(const std::vector<Inbound>& batch, std::vector<Reading>* inserted);
  /// The batch's readings into readings_raw (COPY, or through the staging table when some are
  /// stored already), with their rollup deltas; returns how many were new.
  std::size_t store_readings(pqxx::dbtransaction& txn, const std::vector<Inbound>& batch,
                             const std::vector<RowIds>& ids, std::size_t readings,
                             std::vector<Reading>* inserted_rows);
  /// The batch's rejections into rejected_readings, each once.
  void store_rejections(pqxx::dbtransaction& txn, const std::vector<Inbound>& batch,
                        std::size_t rejections);
  /// One row PostgreSQL refused: stored as a rejection with the reason, or logged and counted.
  bool quarantine(const Inbound& item, const std::string& why);
  /// Applies the migrations the database lacks (postgres.migrate) or checks there are none;
  /// throws when the schema is not usable. Run on every new connection, so a database that
  /// was missing at start, or created afterwards, is migrated when it first answers.
  void prepare_schema();
  void maintain_partitions();
  void disconnect(const std::string& why);

  PostgresConfig config_;
  Metrics& metrics_;
  std::unique_ptr<pqxx::connection> conn_;
  SeriesIds ids_;
  const bool rollups_;
  std::atomic<bool> connected_{false};
  mutable std::mutex error_mutex_;
  std::string last_error_;         ///< guarded by error_mutex_
  std::string last_refusal_;       ///< why PostgreSQL refused the last batch
  std::string last_logged_error_;  ///< the outage reason last logged
  std::chrono::steady_clock::time_point last_logged_at_{};
  std::chrono::steady_clock::time_point next_connect_attempt_{};
  std::chrono::milliseconds backoff_{250};
  std::chrono::steady_clock::time_point next_partition_check_{};
  std::chrono::steady_clock::time_point next_probe_{};
};

}  // namespace roomtemp

#include "pg_writer.h"

#include <pqxx/pqxx>
#include <pthread.h>

#include <nlohmann/json.hpp>

#include <charconv>

#include "journal.h"
#include "log.h"
#include "migrate.h"
#include "pg_connect.h"
#include "spool.h"
#include "validate.h"
#include "warm_start.h"

namespace roomtemp {

std::string float_text(double v) {
  // The shortest text that reads back as exactly this double (PostgreSQL's float8 input is
  // exact), several times cheaper than printf's %.17g.
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

namespace {

std::string hex_bytes(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

constexpr auto kMaxBackoff = std::chrono::seconds(5);
constexpr auto kPartitionCheckEvery = std::chrono::minutes(30);
/// After the queue closes (shutdown), how long the writer keeps replaying the spool.
constexpr auto kShutdownDrainBudget = std::chrono::seconds(4);
/// After the queue closes, how long the writer keeps trying to put a batch somewhere when
/// PostgreSQL and the spool both refuse it. Within the 10 s a stop may take, with the MQTT
/// disconnect and the final publish before and after it.
constexpr auto kShutdownWriteBudget = std::chrono::seconds(5);
/// How often an idle writer checks that the spool can still be written.
constexpr auto kSpoolCheckEvery = std::chrono::seconds(10);
/// An outage that goes on is logged again this often (and whenever its reason changes).
constexpr auto kOutageReminder = std::chrono::minutes(5);

}  // namespace

PgWriter::PgWriter(PostgresConfig config, BoundedQueue<Inbound>& queue, Spool& spool,
                   Metrics& metrics)
    : config_(std::move(config)),
      queue_(queue),
      spool_(spool),
      metrics_(metrics),
      batch_max_rows_(config_.batch_max_rows),
      batch_max_delay_ms_(config_.batch_max_delay.count()) {}

PgWriter::~PgWriter() {
  if (thread_.joinable()) thread_.join();
}

void PgWriter::start() { thread_ = std::thread([this] { run(); }); }

void PgWriter::join() {
  if (thread_.joinable()) thread_.join();
}

void PgWriter::set_batch_limits(std::size_t max_rows, Duration max_delay) {
  batch_max_rows_ = max_rows;
  batch_max_delay_ms_ = max_delay.count();
}

std::string PgWriter::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

std::string PgWriter::spool_error() const {
  std::lock_guard lock(error_mutex_);
  return spool_error_;
}

void PgWriter::prepare_schema() {
  auto log = component_log("writer");
  if (config_.migrate) {
    for (const auto& name : apply_migrations(*conn_)) log->info("applied migration {}", name);
  } else if (auto missing = missing_migrations(*conn_); !missing.empty()) {
    std::string list;
    for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
    throw std::runtime_error("the database lacks migration(s) " + list +
                             " and postgres.migrate is false: run roomtempd --migrate");
  }
  if (int created = ensure_partitions(*conn_); created > 0)
    log->info("created {} daily partition(s)", created);
  next_partition_check_ = std::chrono::steady_clock::now() + kPartitionCheckEvery;
}

bool PgWriter::ensure_connected() {
  if (conn_) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_connect_attempt_) return false;
  try {
    conn_ = pg_connect(config_);
    prepare_schema();
    pqxx::nontransaction setup(*conn_);
    // The staging table lives as long as the connection; rows vanish at each commit.
    setup.exec(
        "CREATE TEMP TABLE readings_staging (LIKE readings INCLUDING DEFAULTS) "
        "ON COMMIT DELETE ROWS");
    setup.commit();
    connected_ = true;
    metrics_.postgres_connected = 1;
    backoff_ = std::chrono::milliseconds(250);
    component_log("writer")->info("connected to PostgreSQL");
    last_logged_error_.clear();
    return true;
  } catch (const std::exception& e) {
    conn_.reset();
    disconnect(e.what());
    return false;
  }
}

void PgWriter::disconnect(const std::string& why) {
  const bool was = connected_.exchange(false);
  conn_.reset();
  metrics_.postgres_connected = 0;
  const std::string msg = one_line(why);  // libpq messages span lines; a log event is one line
  {
    std::lock_guard lock(error_mutex_);
    last_error_ = msg;
  }
  // Logged when it starts, when its reason changes (the database appears but lacks its
  // tables, say) and every few minutes while it lasts: never silence during an outage.
  const auto now = std::chrono::steady_clock::now();
  if (was || msg != last_logged_error_ || now - last_logged_at_ >= kOutageReminder) {
    component_log("writer")->warn("PostgreSQL unavailable: {}; readings go to the spool ({} "
                                  "bytes there)",
                                  msg, spool_.bytes());
    last_logged_error_ = msg;
    last_logged_at_ = now;
  } else {
    component_log("writer")->debug("PostgreSQL still unavailable: {}", msg);
  }
  next_connect_attempt_ = std::chrono::steady_clock::now() + backoff_;
  backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, kMaxBackoff);
}

void PgWriter::maintain_partitions() {
  const auto now = std::chrono::steady_clock::now();
  if (!conn_ || now < next_partition_check_) return;
  next_partition_check_ = now + kPartitionCheckEvery;
  try {
    int created = ensure_partitions(*conn_);
    if (created > 0) component_log("writer")->info("created {} daily partition(s)", created);
  } catch (const pqxx::broken_connection& e) {
    disconnect(e.what());
  } catch (const std::exception& e) {
    component_log("writer")->warn("partition maintenance failed: {}", e.what());
  }
}

namespace {

const std::vector<std::string> kReadingColumns{"ts",    "building",  "room",       "metric",
                                                "value", "sensor_id", "received_at"};

void copy_readings(pqxx::transaction_base& txn, const char* table,
                   const std::vector<Inbound>& batch) {
  pqxx::stream_to copy(txn, table, kReadingColumns);
  for (const auto& item : batch) {
    if (const auto* r = std::get_if<Reading>(&item)) {
      copy << std::make_tuple(format_rfc3339(r->ts), r->building, r->room, r->metric,
                              float_text(r->value), r->sensor_id, format_rfc3339(r->received_at));
    }
  }
  copy.complete();
}

/// SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the rows are
/// at fault, not the server; the same rows will be refused again.
bool data_refused(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  return state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0;
}

/// A reading as the JSON payload a sensor would send (what rejected_readings keeps of it).
std::string reading_json(const Reading& r) {
  nlohmann::ordered_json doc;
  doc["building_id"] = r.building;
  doc["room_id"] = r.room;
  doc["metric"] = r.metric;
  doc["value"] = r.value;
  doc["timestamp"] = format_rfc3339(r.ts);
  if (r.sensor_id) doc["sensor_id"] = *r.sensor_id;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

PgWriter::WriteResult PgWriter::write_batch(const std::vector<Inbound>& batch,
                                            std::vector<Reading>* inserted_rows) {
  if (!ensure_connected()) return WriteResult::unavailable;
  const auto start = std::chrono::steady_clock::now();
  std::size_t readings = 0, rejections = 0;
  for (const auto& item : batch) {
    readings += std::holds_alternative<Reading>(item);
    rejections += std::holds_alternative<Rejection>(item);
  }
  try {
    pqxx::work txn(*conn_);
    std::size_t inserted = 0;
    bool direct = readings > 0 && !inserted_rows;
    if (direct) {
      // The usual case: none of these rows is stored yet, and COPY into the table is the
      // cheapest way in. A copy of one already stored aborts it (COPY has no ON CONFLICT).
      try {
        pqxx::subtransaction attempt(txn, "direct");
        copy_readings(attempt, "readings", batch);
        attempt.commit();
        inserted = readings;
      } catch (const pqxx::unique_violation&) {
        direct = false;
        metrics_.staged_batches.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (!direct && readings > 0) {
      copy_readings(txn, "readings_staging", batch);
      if (inserted_rows) {
        // Replay of an earlier run's spool: learn which rows are new, for the live windows.
        auto res = txn.exec(
            std::string("INSERT INTO readings SELECT * FROM readings_staging ON CONFLICT DO "
                        "NOTHING RETURNING ") +
            kReadingColumnsSql);
        inserted = res.affected_rows();
        for (const auto& row : res) inserted_rows->push_back(reading_from_row(row));
      } else {
        auto res = txn.exec(
            "INSERT INTO readings SELECT * FROM readings_staging ON CONFLICT DO NOTHING");
        inserted = res.affected_rows();
      }
    }
    // Rejections go in by COPY as well: a flood of bad input must not slow the writer down.
    if (rejections > 0) {
      pqxx::stream_to copy(txn, "rejected_readings",
                           std::vector<std::string>{"received_at", "topic", "payload", "reason",
                                                    "detail"});
      for (const auto& item : batch) {
        if (const auto* j = std::get_if<Rejection>(&item)) {
          copy << std::make_tuple(format_rfc3339(j->received_at), j->topic, hex_bytes(j->payload),
                                  std::string(reason_name(j->reason)), j->detail);
        }
      }
      copy.complete();
    }
    txn.commit();
    metrics_.readings_written.fetch_add(readings, std::memory_order_relaxed);
    metrics_.readings_duplicate.fetch_add(readings - inserted, std::memory_order_relaxed);
    metrics_.rejections_written.fetch_add(rejections, std::memory_order_relaxed);
    metrics_.write_batch_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    component_log("writer")->trace("committed {} readings ({} new), {} rejections", readings,
                                   inserted, rejections);
    return WriteResult::committed;
  } catch (const pqxx::broken_connection& e) {
    metrics_.write_errors.fetch_add(1, std::memory_order_relaxed);
    disconnect(e.what());
  } catch (const pqxx::sql_error& e) {
    metrics_.write_errors.fetch_add(1, std::memory_order_relaxed);
    if (data_refused(e)) {
      last_refusal_ = one_line(e.what());
      return WriteResult::refused;
    }
    component_log("writer")->error("writing a batch of {} failed: {}", batch.size(), e.what());
    disconnect(e.what());
  } catch (const std::exception& e) {
    // Anything else (a server error, an in-doubt commit): drop the connection and retry the
    // batch later from the spool; ON CONFLICT makes a repeat of a committed batch harmless.
    metrics_.write_errors.fetch_add(1, std::memory_order_relaxed);
    component_log("writer")->error("writing a batch of {} failed: {}", batch.size(), e.what());
    disconnect(e.what());
  }
  return WriteResult::unavailable;
}

std::size_t PgWriter::commit(const std::vector<Inbound>& batch,
                             std::vector<Reading>* inserted_rows) {
  switch (write_batch(batch, inserted_rows)) {
    case WriteResult::committed:
      return batch.size();
    case WriteResult::unavailable:
      return 0;
    case WriteResult::refused:
      break;
  }
  if (batch.size() == 1) return quarantine(batch.front(), last_refusal_) ? 1 : 0;
  component_log("writer")->warn("PostgreSQL refused a row of a batch of {} ({}); finding it",
                                batch.size(), last_refusal_);
  const std::size_t half = batch.size() / 2;
  const auto middle = batch.begin() + static_cast<std::ptrdiff_t>(half);
  const std::size_t left = commit({batch.begin(), middle}, inserted_rows);
  if (left < half) return left;
  return left + commit({middle, batch.end()}, inserted_rows);
}

bool PgWriter::quarantine(const Inbound& item, const std::string& why) {
  auto log = component_log("writer");
  metrics_.rows_refused.fetch_add(1, std::memory_order_relaxed);
  Rejection kept;
  if (const auto* r = std::get_if<Reading>(&item)) {
    // Accepted by us, refused by PostgreSQL: keep it where refused input goes, with why.
    kept = make_rejection(r->received_at,
                          "buildings/" + r->building + "/rooms/" + r->room + "/" + r->metric,
                          reading_json(*r), RejectReason::bad_payload,
                          "PostgreSQL refused it: " + why);
  } else {
    const auto& was = std::get<Rejection>(item);
    kept = make_rejection(was.received_at, was.topic, was.payload, was.reason,
                          "PostgreSQL refused it as it was: " + why + "; " + was.detail);
  }
  log->error("PostgreSQL refused a row ({}); kept in rejected_readings: topic {}", why, kept.topic);
  switch (write_batch({Inbound{kept}}, nullptr)) {
    case WriteResult::committed:
      return true;
    case WriteResult::unavailable:
      return false;
    case WriteResult::refused:
      log->error("PostgreSQL refused the rejection row as well ({}); dropped: topic {}",
                 last_refusal_, kept.topic);
      return true;
  }
  return true;
}

bool PgWriter::drain_spool() {
  while (!spool_.empty()) {
    if (!ensure_connected()) return false;
    const bool recovered = spool_.front_is_recovered() && recovered_sink_;
    auto chunk = spool_.peek(batch_max_rows_.load());
    std::vector<Reading> fresh;
    const std::size_t done = chunk.empty() ? 0 : commit(chunk, recovered ? &fresh : nullptr);
    spool_.consume(done);  // all of an empty chunk: past a damaged segment end
    for (const auto& r : fresh) recovered_sink_(r);
    if (done < chunk.size()) return false;
    if (spool_.empty()) component_log("writer")->info("spool replayed; writing directly again");
    // Let live input in between chunks: the caller appends it behind the spool.
    return spool_.empty();
  }
  return true;
}

void PgWriter::handle(std::vector<Inbound> batch) {
  if (batch.empty()) return;
  // Order of acceptance is kept: while anything is spooled, new batches queue up behind it.
  // What is not committed (all of it, or what followed where PostgreSQL went away) is spooled.
  auto write_directly = [&] {
    if (!spool_.empty()) return false;
    const std::size_t done = commit(batch);
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(done));
    return batch.empty();
  };
  if (write_directly()) return;
  while (true) {
    try {
      spool_.append(batch);
      set_spool_error("");
      return;
    } catch (const std::exception& e) {
      // A spool that cannot be written (disk full, permissions) leaves no safe place for the
      // batch: keep it and retry, which holds back the queue and so the broker. At shutdown
      // the retries end with the budget: a stop must end, and says what it could not keep.
      set_spool_error(e.what());
      if (shutdown_budget_spent()) return give_up(batch, e.what());
      component_log("writer")->error("{}; retrying in 1s", e.what());
      for (int i = 0; i < 10 && !abandon_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (write_directly()) return;
    }
  }
}

void PgWriter::set_spool_error(const std::string& why) {
  std::lock_guard lock(error_mutex_);
  spool_error_ = why;
}

bool PgWriter::shutdown_budget_spent() {
  if (!queue_.closed()) return false;
  const auto now = std::chrono::steady_clock::now();
  if (!shutdown_deadline_) shutdown_deadline_ = now + kShutdownWriteBudget;
  return abandon_ || now >= *shutdown_deadline_;
}

void PgWriter::give_up(const std::vector<Inbound>& batch, const std::string& why) {
  std::size_t readings = 0;
  for (const auto& item : batch) readings += std::holds_alternative<Reading>(item);
  lost_.fetch_add(batch.size(), std::memory_order_relaxed);
  metrics_.readings_lost.fetch_add(readings, std::memory_order_relaxed);
  component_log("writer")->critical(
      "stopping without {} accepted reading(s) and {} rejection(s): PostgreSQL is unavailable "
      "({}) and the spool cannot be written ({})",
      readings, batch.size() - readings, last_error(), why);
}

void PgWriter::probe() {
  // With no traffic, a lost server would go unnoticed until the next reading; /readyz
  // should know sooner.
  const auto now = std::chrono::steady_clock::now();
  if (!conn_ || now < next_probe_) return;
  next_probe_ = now + std::chrono::seconds(2);
  try {
    pqxx::nontransaction txn(*conn_);
    txn.exec("SELECT 1");
  } catch (const std::exception& e) {
    disconnect(e.what());
  }
}

void PgWriter::check_spool() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_spool_check_) return;
  next_spool_check_ = now + kSpoolCheckEvery;
  try {
    spool_.check_writable();
    set_spool_error("");
  } catch (const std::exception& e) {
    if (spool_error().empty())
      component_log("writer")->error("{}: readings would be lost should PostgreSQL go away",
                                     e.what());
    set_spool_error(e.what());
  }
}

void PgWriter::run() {
  pthread_setname_np(pthread_self(), "pg writer");
  std::optional<std::chrono::steady_clock::time_point> drain_deadline;
  while (true) {
    ensure_connected();
    if (!spool_.empty()) drain_spool();
    maintain_partitions();
    const bool closed = queue_.closed_and_empty();
    if (closed) {
      if (spool_.empty() || !connected_) break;
      if (!drain_deadline) drain_deadline = std::chrono::steady_clock::now() + kShutdownDrainBudget;
      if (std::chrono::steady_clock::now() > *drain_deadline || abandon_) break;
      continue;
    }
    if (spool_.full() && !queue_.closed()) {
      // No room on disk: stop taking input so the broker holds it, and retry PostgreSQL.
      // (At shutdown the limit yields: readings already acknowledged must reach the disk.)
      metrics_.queue_depth = queue_.size();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const auto idle = spool_.empty() ? std::chrono::milliseconds(1000)
                                     : std::chrono::milliseconds(connected_ ? 0 : 200);
    auto batch = queue_.pop_batch(batch_max_rows_.load(),
                                  std::chrono::milliseconds(batch_max_delay_ms_.load()), idle);
    metrics_.queue_depth = queue_.size();
    if (batch.empty()) {
      probe();
      check_spool();
    }
    const std::size_t n = batch.size();
    handle(std::move(batch));
    if (journal_ && n) journal_->release(n);
  }
  if (!spool_.empty())
    component_log("writer")->info("{} bytes stay in the spool until PostgreSQL returns",
                                  spool_.bytes());
  finished_ = true;
}

}  // namespace roomtemp

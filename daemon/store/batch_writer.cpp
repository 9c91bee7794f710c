#include "batch_writer.h"

#include <pqxx/pqxx>
#include <unordered_map>

#include "log.h"
#include "migrate.h"
#include "partitions.h"
#include "pg_connect.h"
#include "rollups.h"
#include "rows.h"
#include "validate.h"

namespace roomtemp {
namespace {

constexpr auto kMaxBackoff = std::chrono::seconds(5);
constexpr auto kPartitionCheckEvery = std::chrono::minutes(30);
constexpr auto kProbeEvery = std::chrono::seconds(2);
/// An outage that goes on is logged again this often (and whenever its reason changes).
constexpr auto kOutageReminder = std::chrono::minutes(5);

/// SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the rows are
/// at fault, not the server; the same rows will be refused again.
bool data_refused(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  return state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0;
}

/// The readings of `batch` that the rows of an INSERT … RETURNING series, sensor, ts, value,
/// received_at (times in µs) stored. A reading given twice in a batch is stored once: the one
/// PostgreSQL kept, with its value and received_at.
std::vector<Reading> inserted_readings(const pqxx::result& rows, const std::vector<Inbound>& batch,
                                       const std::vector<RowIds>& ids) {
  struct Key {
    std::int32_t series, sensor;
    Micros ts;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<Micros>()(k.ts) ^ (std::size_t(k.series) << 20) ^ std::size_t(k.sensor);
    }
  };
  std::unordered_map<Key, const Reading*, KeyHash> by_key;
  std::size_t i = 0;
  for (const auto& item : batch) {
    if (const auto* r = std::get_if<Reading>(&item)) {
      by_key.emplace(Key{ids[i].series, ids[i].sensor, r->ts}, r);
      ++i;
    }
  }
  std::vector<Reading> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    const auto found =
        by_key.find({row[0].as<std::int32_t>(), row[1].as<std::int32_t>(), row[2].as<Micros>()});
    if (found == by_key.end()) continue;  // not from this batch: cannot happen
    Reading r = *found->second;
    r.value = row[3].as<double>();
    r.received_at = row[4].as<Micros>();
    out.push_back(std::move(r));
  }
  return out;
}

/// How many readings, rejections and alarm events a batch holds.
struct BatchKinds {
  std::size_t readings = 0, rejections = 0, events = 0;
};
BatchKinds kinds_of(const std::vector<Inbound>& batch) {
  BatchKinds k;
  for (const auto& item : batch) {
    k.readings += std::holds_alternative<Reading>(item);
    k.rejections += std::holds_alternative<Rejection>(item);
    k.events += std::holds_alternative<AlarmEvent>(item);
  }
  return k;
}

/// The alarm events of a batch, few (transitions): through the staging table, in the order they
/// were decided, each once however often it comes (a replayed spool, a batch retried).
void write_alarm_events(pqxx::transaction_base& txn, const std::vector<Inbound>& batch) {
  copy_alarm_events(txn, "alarm_events_staging", batch);
  txn.exec(
      "INSERT INTO alarm_events (ts, building, room, metric, alarm, state, value, last_reading,"
      " threshold, window_length, rule)"
      " SELECT ts, building, room, metric, alarm, state, value, last_reading, threshold,"
      " window_length, rule"
      " FROM alarm_events_staging ORDER BY n ON CONFLICT DO NOTHING");
}

}  // namespace

BatchWriter::BatchWriter(PostgresConfig config, Metrics& metrics, bool rollups)
    : config_(std::move(config)), metrics_(metrics), rollups_(rollups) {}

std::string BatchWriter::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void BatchWriter::prepare_schema() {
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

bool BatchWriter::ensure_connected() {
  if (conn_) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_connect_attempt_) return false;
  try {
    conn_ = pg_connect(config_);
    ids_.clear();  // perhaps another database now
    prepare_schema();
    pqxx::nontransaction setup(*conn_);
    // The staging tables live as long as the connection; rows vanish at each commit.
    setup.exec(
        "CREATE TEMP TABLE readings_staging (LIKE readings_raw INCLUDING DEFAULTS) "
        "ON COMMIT DELETE ROWS");
    setup.exec(
        "CREATE TEMP TABLE rejected_staging (LIKE rejected_readings INCLUDING DEFAULTS) "
        "ON COMMIT DELETE ROWS");
    setup.exec(
        "CREATE TEMP TABLE alarm_events_staging (n bigint, ts timestamptz, building text, "
        "room text, metric text, alarm text, state text, value double precision, "
        "last_reading timestamptz, threshold double precision, window_length interval, "
        "rule text) ON COMMIT DELETE ROWS");
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

void BatchWriter::disconnect(const std::string& why) {
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
    component_log("writer")->warn(
        "PostgreSQL unavailable: {}; readings go to the spool ({} bytes there)", msg,
        metrics_.spool_bytes.load(std::memory_order_relaxed));
    last_logged_error_ = msg;
    last_logged_at_ = now;
  } else {
    component_log("writer")->debug("PostgreSQL still unavailable: {}", msg);
  }
  next_connect_attempt_ = now + backoff_;
  backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, kMaxBackoff);
}

void BatchWriter::maintain_partitions() {
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

void BatchWriter::keep_alive() {
  maintain_partitions();
  // With no traffic, a lost server would go unnoticed until the next reading; /readyz
  // should know sooner.
  const auto now = std::chrono::steady_clock::now();
  if (!conn_ || now < next_probe_) return;
  next_probe_ = now + kProbeEvery;
  try {
    pqxx::nontransaction txn(*conn_);
    txn.exec("SELECT 1");
  } catch (const std::exception& e) {
    disconnect(e.what());
  }
}

std::size_t BatchWriter::store_readings(pqxx::dbtransaction& txn, const std::vector<Inbound>& batch,
                                        const std::vector<RowIds>& ids, std::size_t readings,
                                        std::vector<Reading>* inserted_rows) {
  std::size_t inserted = 0;
  RollupDeltas deltas;  // of the readings this transaction stores, for the rollups
  bool direct = !inserted_rows;
  if (direct) {
    // The usual case: none of these rows is stored yet, and COPY into the table is the
    // cheapest way in. A copy of one already stored aborts it (COPY has no ON CONFLICT).
    try {
      pqxx::subtransaction attempt(txn, "direct");
      copy_readings(attempt, "readings_raw", batch, ids);
      attempt.commit();
      inserted = readings;
      std::size_t i = 0;
      for (const auto& item : batch)
        if (const auto* r = std::get_if<Reading>(&item); r && rollups_)
          deltas.add(ids[i++].series, r->ts, r->value);
    } catch (const pqxx::unique_violation&) {
      direct = false;
      metrics_.staged_batches.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!direct) {
    copy_readings(txn, "readings_staging", batch, ids);
    // RETURNING names the rows that were new: for the live windows when an earlier run's
    // spool is replayed.
    const auto res = txn.exec(
        "INSERT INTO readings_raw SELECT * FROM readings_staging ON CONFLICT DO NOTHING"
        " RETURNING series, sensor, (extract(epoch FROM ts) * 1000000)::bigint, value,"
        " (extract(epoch FROM received_at) * 1000000)::bigint");
    inserted = res.affected_rows();
    for (const auto& row : res)
      deltas.add(row[0].as<std::int32_t>(), row[2].as<Micros>(), row[3].as<double>());
    if (inserted_rows) *inserted_rows = inserted_readings(res, batch, ids);
  }
  if (rollups_ && !deltas.empty()) deltas.copy(txn);
  return inserted;
}

void BatchWriter::store_rejections(pqxx::dbtransaction& txn, const std::vector<Inbound>& batch,
                                   std::size_t rejections) {
  // Rejections go in by COPY as well: a flood of bad input must not slow the writer down.
  // One already stored (by a commit whose answer was lost, or a replay) comes again with
  // the same id: then through the staging table, ON CONFLICT, as for readings.
  try {
    pqxx::subtransaction attempt(txn, "rejections");
    copy_rejections(attempt, "rejected_readings", batch);
    attempt.commit();
  } catch (const pqxx::unique_violation&) {
    metrics_.staged_batches.fetch_add(1, std::memory_order_relaxed);
    copy_rejections(txn, "rejected_staging", batch);
    const auto res = txn.exec(
        "INSERT INTO rejected_readings SELECT * FROM rejected_staging "
        "ON CONFLICT (id) DO NOTHING");
    if (res.affected_rows() < rejections)
      component_log("writer")->info("{} rejection(s) were stored already; kept once",
                                    rejections - res.affected_rows());
  }
}

BatchWriter::WriteResult BatchWriter::write_batch(const std::vector<Inbound>& batch,
                                                  std::vector<Reading>* inserted_rows) {
  if (!ensure_connected()) return WriteResult::unavailable;
  const auto start = std::chrono::steady_clock::now();
  const BatchKinds n = kinds_of(batch);
  try {
    const std::vector<RowIds> ids =
        n.readings > 0 ? ids_.resolve(*conn_, batch) : std::vector<RowIds>{};
    pqxx::work txn(*conn_);
    const std::size_t inserted =
        n.readings > 0 ? store_readings(txn, batch, ids, n.readings, inserted_rows) : 0;
    if (n.rejections > 0) store_rejections(txn, batch, n.rejections);
    if (n.events > 0) write_alarm_events(txn, batch);
    txn.commit();
    metrics_.alarm_events_written.fetch_add(n.events, std::memory_order_relaxed);
    metrics_.readings_written.fetch_add(n.readings, std::memory_order_relaxed);
    metrics_.readings_duplicate.fetch_add(n.readings - inserted, std::memory_order_relaxed);
    metrics_.rejections_written.fetch_add(n.rejections, std::memory_order_relaxed);
    metrics_.write_batch_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    component_log("writer")->trace("committed {} readings ({} new), {} rejections, {} events",
                                   n.readings, inserted, n.rejections, n.events);
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

std::size_t BatchWriter::commit(const std::vector<Inbound>& batch,
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

bool BatchWriter::quarantine(const Inbound& item, const std::string& why) {
  auto log = component_log("writer");
  // Counted once the row has left the pipeline (kept, or dropped): a rejection that cannot be
  // written now comes back with its batch from the spool and is refused, and counted, then.
  const auto counted = [this] {
    metrics_.rows_refused.fetch_add(1, std::memory_order_relaxed);
    return true;
  };
  if (const auto* e = std::get_if<AlarmEvent>(&item)) {
    // roomtempd made it from validated ids; refused, it has nowhere better to go than the log.
    log->error("PostgreSQL refused an alarm event ({}); dropped: {} {}/{}/{} {} at {}", why,
               e->alarm, e->building, e->room, e->metric, e->state, format_rfc3339(e->ts));
    return counted();
  }
  Rejection kept;
  if (const auto* r = std::get_if<Reading>(&item)) {
    // Accepted by us, refused by PostgreSQL: keep it where refused input goes, with why.
    kept = make_rejection(
        r->received_at, "buildings/" + r->building + "/rooms/" + r->room + "/" + r->metric,
        reading_json(*r), RejectReason::bad_payload, "PostgreSQL refused it: " + why);
    kept.id = refused_reading_id(*r);
  } else {
    const auto& was = std::get<Rejection>(item);
    kept = make_rejection(was.received_at, was.topic, was.payload, was.reason,
                          "PostgreSQL refused it as it was: " + why + "; " + was.detail);
    kept.id = was.id;
  }
  log->error("PostgreSQL refused a row ({}); kept in rejected_readings: topic {}", why, kept.topic);
  switch (write_batch({Inbound{kept}}, nullptr)) {
    case WriteResult::committed:
      return counted();
    case WriteResult::unavailable:
      return false;
    case WriteResult::refused:
      log->error("PostgreSQL refused the rejection row as well ({}); dropped: topic {}",
                 last_refusal_, kept.topic);
      return counted();
  }
  return counted();
}

}  // namespace roomtemp

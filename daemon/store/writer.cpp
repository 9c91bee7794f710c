#include "writer.h"

#include <pthread.h>

#include "journal.h"
#include "log.h"
#include "spool.h"

namespace roomtemp {
namespace {

/// After the queue closes (shutdown), how long the writer keeps replaying the spool.
constexpr auto kShutdownDrainBudget = std::chrono::seconds(4);
/// After the queue closes, how long the writer keeps trying to put a batch somewhere when
/// PostgreSQL and the spool both refuse it. Within the 10 s a stop may take, with the MQTT
/// disconnect and the final publish before and after it.
constexpr auto kShutdownWriteBudget = std::chrono::seconds(5);
/// How often an idle writer checks that the spool can still be written.
constexpr auto kSpoolCheckEvery = std::chrono::seconds(10);

}  // namespace

Writer::Writer(const PostgresConfig& config, BoundedQueue<Inbound>& queue, Spool& spool,
               Metrics& metrics)
    : queue_(queue),
      spool_(spool),
      metrics_(metrics),
      db_(config, metrics),
      batch_max_rows_(config.batch_max_rows),
      batch_max_delay_ms_(config.batch_max_delay.count()) {}

Writer::~Writer() { join(); }

void Writer::start() {
  thread_ = std::thread([this] { run(); });
}

void Writer::join() {
  if (thread_.joinable()) thread_.join();
}

void Writer::set_batch_limits(std::size_t max_rows, Duration max_delay) {
  batch_max_rows_ = max_rows;
  batch_max_delay_ms_ = max_delay.count();
}

std::string Writer::spool_error() const {
  std::lock_guard lock(spool_error_mutex_);
  return spool_error_;
}

void Writer::set_spool_error(const std::string& why) {
  std::lock_guard lock(spool_error_mutex_);
  spool_error_ = why;
}

bool Writer::drain_spool() {
  while (!spool_.empty()) {
    if (!db_.ensure_connected()) return false;
    const bool recovered = spool_.front_is_recovered() && recovered_sink_;
    auto chunk = spool_.peek(batch_max_rows_.load());
    std::vector<Reading> fresh;
    const std::size_t done = chunk.empty() ? 0 : db_.commit(chunk, recovered ? &fresh : nullptr);
    spool_.consume(done);  // all of an empty chunk: past a damaged segment end
    for (const auto& r : fresh) recovered_sink_(r);
    if (done < chunk.size()) return false;
    if (spool_.empty()) component_log("writer")->info("spool replayed; writing directly again");
    // Let live input in between chunks: the caller appends it behind the spool.
    return spool_.empty();
  }
  return true;
}

void Writer::handle(std::vector<Inbound> batch) {
  if (batch.empty()) return;
  // Order of acceptance is kept: while anything is spooled, new batches queue up behind it.
  // What is not committed (all of it, or what followed where PostgreSQL went away) is spooled.
  auto write_directly = [&] {
    if (!spool_.empty()) return false;
    const std::size_t done = db_.commit(batch);
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

bool Writer::shutdown_budget_spent() {
  if (!queue_.closed()) return false;
  const auto now = std::chrono::steady_clock::now();
  if (!shutdown_deadline_) shutdown_deadline_ = now + kShutdownWriteBudget;
  return abandon_ || now >= *shutdown_deadline_;
}

void Writer::give_up(const std::vector<Inbound>& batch, const std::string& why) {
  std::size_t readings = 0, events = 0;
  for (const auto& item : batch) {
    readings += std::holds_alternative<Reading>(item);
    events += std::holds_alternative<AlarmEvent>(item);
  }
  lost_.fetch_add(batch.size(), std::memory_order_relaxed);
  metrics_.readings_lost.fetch_add(readings, std::memory_order_relaxed);
  component_log("writer")->critical(
      "stopping without {} accepted reading(s), {} rejection(s) and {} alarm event(s): "
      "PostgreSQL is unavailable ({}) and the spool cannot be written ({})",
      readings, batch.size() - readings - events, events, db_.last_error(), why);
}

void Writer::check_spool() {
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

void Writer::run() {
  pthread_setname_np(pthread_self(), "pg writer");
  std::optional<std::chrono::steady_clock::time_point> drain_deadline;
  while (true) {
    db_.ensure_connected();
    if (!spool_.empty()) drain_spool();
    if (caught_up_ && db_.connected() && spool_.empty() && caught_up_()) caught_up_ = nullptr;
    if (queue_.closed_and_empty()) {
      if (spool_.empty() || !db_.connected()) break;
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
                                     : std::chrono::milliseconds(db_.connected() ? 0 : 200);
    auto batch = queue_.pop_batch(batch_max_rows_.load(),
                                  std::chrono::milliseconds(batch_max_delay_ms_.load()), idle);
    metrics_.queue_depth = queue_.size();
    if (batch.empty()) {
      db_.keep_alive();
      check_spool();
    }
    // The journal holds what ingest took in, not the alarm events the publish tick adds.
    std::size_t journaled = 0;
    for (const auto& item : batch) journaled += !std::holds_alternative<AlarmEvent>(item);
    const std::size_t taken = batch.size();
    handle(std::move(batch));
    handled_.fetch_add(taken, std::memory_order_release);
    if (journal_ && journaled) journal_->release(journaled);
  }
  if (!spool_.empty())
    component_log("writer")->info("{} bytes stay in the spool until PostgreSQL returns",
                                  spool_.bytes());
  finished_ = true;
}

}  // namespace roomtemp

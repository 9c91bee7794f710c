#include "ingest.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "source_message.h"
#include "topic.h"
#include "validate.h"

namespace roomtemp {

Ingest::Ingest(const LiveConfig& config, BoundedQueue<Inbound>& queue, Metrics& metrics)
    : config_(config), queue_(queue), metrics_(metrics) {}

void Ingest::on_message(std::string_view topic, std::string_view payload, bool retained) {
  // Our own output never counts as input, even under a subscription broad enough to match it.
  if (is_own_output_topic(topic)) return;
  auto config = config_.get();
  const Micros now = now_micros();
  if (config->sources) {
    // Configured sources (README "Connecting real sensors"): one message may hold several
    // readings, and a batch several records. Scratch reused per thread: no allocation per message.
    thread_local std::vector<SourceOutcome> outcomes;
    classify_source_message(topic, payload, now, *config, *config->sources, outcomes);
    metrics_.readings_received.fetch_add(outcomes.size(), std::memory_order_relaxed);
    // A limit's refusal of a batch's reading quotes its element, as the source's own refusals do.
    for (auto& outcome : outcomes)
      admit({topic, outcome.text.empty() ? payload : outcome.text, retained, now}, *config,
            std::move(outcome.item), outcome.stamped_on_arrival);
    return;
  }
  metrics_.readings_received.fetch_add(1, std::memory_order_relaxed);
  bool stamped_on_arrival = false;
  Inbound item = classify_message(topic, payload, now, *config, &stamped_on_arrival);
  admit({topic, payload, retained, now}, *config, std::move(item), stamped_on_arrival);
}

void Ingest::admit(const Arrival& arrival, const Config& config, Inbound&& item,
                   bool stamped_on_arrival) {
  const auto [topic, payload, retained, now] = arrival;
  if (auto* r = std::get_if<Reading>(&item)) {
    if (retained && stamped_on_arrival) {
      // The broker hands its retained copy to every new subscription: at each restart of
      // roomtempd or of the broker. Stamped with its arrival it would be a new reading every
      // time, and a sensor that died long ago would look alive.
      metrics_.retained_skipped.fetch_add(1, std::memory_order_relaxed);
      std::uint64_t suppressed = 0;
      if (retained_log_limit_.allow(suppressed))
        component_log("ingest")->info(
            "skipped the retained message on {}: the broker replays it at every subscribe and it "
            "has no timestamp, so it is no new reading{}",
            printable(topic, 200),
            suppressed ? fmt::format(" [{} more since]", suppressed) : std::string());
      return;
    }
    if (auto refusal = limiter_.admit(*r, config.limits, now)) {
      reject(make_rejection(now, topic, payload, refusal->reason, refusal->detail));
      return;
    }
    accept(std::move(*r));
  } else {
    reject(std::move(std::get<Rejection>(item)));
  }
}

std::optional<Refusal> Ingest::on_posted(std::string_view item, std::string_view source) {
  metrics_.readings_received.fetch_add(1, std::memory_order_relaxed);
  auto config = config_.get();
  const Micros now = now_micros();
  auto read = classify_posted(item, now, *config);
  std::optional<Refusal> refusal;
  if (auto* r = std::get_if<Refusal>(&read))
    refusal = std::move(*r);
  else
    refusal = limiter_.admit(std::get<Reading>(read), config->limits, now);
  if (refusal) {
    reject(make_rejection(now, source, item, refusal->reason, refusal->detail));
    return refusal;
  }
  accept(std::get<Reading>(std::move(read)));
  return std::nullopt;
}

void Ingest::accept(Reading&& r) {
  metrics_.readings_accepted.fetch_add(1, std::memory_order_relaxed);
  // Queued first, then counted in the windows: a rewarm waits until what was queued before it
  // is written (app/daemon.h), which then covers every reading the old windows had.
  if (!on_accepted_) return enqueue(std::move(r));
  enqueue(Inbound(r));
  on_accepted_(r);
}

void Ingest::reject(Rejection&& j) {
  metrics_.count_rejection(j.reason);
  std::uint64_t suppressed = 0;
  if (reject_log_limit_.allow(suppressed)) {
    // Topic and detail quote the sender: escaped, so that a newline cannot forge a log line.
    auto log = component_log("ingest");
    const std::string topic = printable(j.topic, 200), detail = printable(j.detail, 400);
    if (suppressed)
      log->warn("rejected {}: {} ({}) [{} similar lines suppressed]", topic, detail,
                reason_name(j.reason), suppressed);
    else
      log->warn("rejected {}: {} ({})", topic, detail, reason_name(j.reason));
  }
  if (publish_rejection_) publish_rejection_(j);
  enqueue(std::move(j));
}

void Ingest::begin_shutdown() {
  constexpr auto kJournalRetryAtShutdown = std::chrono::seconds(2);
  journal_retry_until_ =
      (std::chrono::steady_clock::now() + kJournalRetryAtShutdown).time_since_epoch().count();
  queue_.lift_limit();
}

void Ingest::enqueue(Inbound&& item) {
  if (journal_) {
    std::lock_guard lock(journal_order_);
    while (true) {
      try {
        journal_->append(item);
        break;
      } catch (const std::exception& e) {
        // Without the journal the promise of journal mode does not hold: hold the input
        // (and so the broker) until the disk works again. Stopping cannot wait for that:
        // the writer still commits (or spools) what the journal could not take.
        const auto until = journal_retry_until_.load();
        if (until != 0 && std::chrono::steady_clock::now().time_since_epoch().count() >= until) {
          component_log("journal")->error(
              "{}; stopping, so the writer takes it without the "
              "journal",
              e.what());
          break;
        }
        component_log("journal")->error("{}; retrying in 1s", e.what());
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
    // NOLINTNEXTLINE(bugprone-use-after-move): push() leaves `item` untouched when it refuses
    if (!queue_.push(std::move(item))) queue_.push(std::move(item), true);
    metrics_.queue_depth.store(queue_.size(), std::memory_order_relaxed);
    return;
  }
  // A reading the broker already considers delivered must not be dropped: should the queue
  // be closed already, push past it.
  // NOLINTNEXTLINE(bugprone-use-after-move): push() leaves `item` untouched when it refuses
  if (!queue_.push(std::move(item))) queue_.push(std::move(item), true);
  metrics_.queue_depth.store(queue_.size(), std::memory_order_relaxed);
}

}  // namespace roomtemp

#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "config.h"
#include "input_journal.h"
#include "live_config.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "reading.h"
#include "series_limiter.h"

namespace roomtemp {

/// The single entry of readings into the daemon, whatever their source. Validates, counts,
/// logs refusals (rate-limited), hands rejections to `publish_rejection` and everything to the
/// writer's queue, and accepted readings to `on_accepted` (the aggregator).
class Ingest {
 public:
  using RejectionPublisher = std::function<void(const Rejection&)>;
  using ReadingSink = std::function<void(const Reading&)>;

  Ingest(const LiveConfig& config, BoundedQueue<Inbound>& queue, Metrics& metrics);

  void set_rejection_publisher(RejectionPublisher p) { publish_rejection_ = std::move(p); }
  void set_reading_sink(ReadingSink s) { on_accepted_ = std::move(s); }
  /// Journal mode: every item is appended to `journal` before it is queued, in queue order.
  void set_journal(InputJournal* journal) { journal_ = journal; }

  /// An MQTT message (network thread). Blocks while the queue is full (back-pressure).
  /// `retained`: the broker replayed its stored copy because we (re)subscribed. Such a copy
  /// is a reading only if it carries its own timestamp (then storing and counting it is
  /// idempotent); without one its time is unknown and it is skipped (counted and logged).
  void on_message(std::string_view topic, std::string_view payload, bool retained = false);

  /// A POSTed reading (README "REST API"), the JSON text of one item: read and checked as an
  /// MQTT message is (classify_posted), then admitted like one. A refusal is kept under
  /// `source` (e.g. "http:POST /v1/readings") with the item as payload, and returned.
  std::optional<Refusal> on_posted(std::string_view item, std::string_view source);

  /// Shutdown: from now on input still arriving is queued past the limit (never dropped),
  /// and in journal mode a journal that cannot be written is retried for a bounded time
  /// only, after which the input goes to the writer without it.
  void begin_shutdown();

 private:
  /// An MQTT message as it arrived.
  struct Arrival {
    std::string_view topic;
    std::string_view payload;
    bool retained = false;
    Micros now = 0;
  };
  /// One outcome of a message: a retained copy without a time is skipped, a reading passes the
  /// series limits and is accepted, a rejection is rejected.
  void admit(const Arrival& arrival, const Config& config, Inbound&& item, bool stamped_on_arrival);
  void accept(Reading&& r);
  void reject(Rejection&& j);
  void enqueue(Inbound&& item);

  const LiveConfig& config_;  ///< a reload swaps it; readings in flight finish with the old one
  BoundedQueue<Inbound>& queue_;
  Metrics& metrics_;
  RejectionPublisher publish_rejection_;
  ReadingSink on_accepted_;
  RateLimit reject_log_limit_{10};
  RateLimit retained_log_limit_{1};
  SeriesLimiter limiter_;
  InputJournal* journal_ = nullptr;
  /// Set by begin_shutdown: the end of the journal's retries (steady clock, in ns; 0: none).
  std::atomic<std::int64_t> journal_retry_until_{0};
  std::mutex journal_order_;  ///< journal order must equal queue order
};

}  // namespace roomtemp

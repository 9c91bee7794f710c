#include "warm_start.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "log.h"

namespace roomtemp {
namespace {

/// What a window of length `w` covers at `now`: [from, to), `to` the end of its newest bucket.
struct Span {
  Micros from;
  Micros to;
  Micros bucket_width;
};
Span window_span(Duration w, Micros now) {
  Window win(to_micros(w));
  const Micros to = (win.bucket_of(now) + 1) * win.bucket_width();
  return {to - win.length(), to, win.bucket_width()};
}

}  // namespace

std::vector<WarmBucket> load_warm_buckets(pqxx::transaction_base& txn,
                                          const std::vector<Duration>& windows, Micros now) {
  std::vector<WarmBucket> rows;
  for (std::size_t w = 0; w < windows.size(); ++w) {
    const Span span = window_span(windows[w], now);
    auto result = txn.exec_params(
        "SELECT building, room, metric,"
        " floor(extract(epoch FROM ts) * 1000000 / $1)::bigint,"
        " sum(value), min(value), max(value), count(*),"
        " (extract(epoch FROM max(received_at)) * 1000000)::bigint,"
        " (extract(epoch FROM max(least(ts, received_at))) * 1000000)::bigint"
        " FROM readings WHERE ts >= $2 AND ts < $3 GROUP BY 1, 2, 3, 4",
        span.bucket_width, format_rfc3339(span.from), format_rfc3339(span.to));
    for (const auto& row : result) {
      WarmBucket b;
      b.building = row[0].as<std::string>();
      b.room = row[1].as<std::string>();
      b.metric = row[2].as<std::string>();
      b.window = w;
      b.bucket = row[3].as<std::int64_t>();
      b.numbers.sum = row[4].as<double>();
      b.numbers.min = row[5].as<double>();
      b.numbers.max = row[6].as<double>();
      b.numbers.count = row[7].as<std::uint32_t>();
      b.last_received = row[8].as<std::int64_t>();
      b.last_heard = row[9].as<std::int64_t>();
      rows.push_back(std::move(b));
    }
  }
  return rows;
}

std::vector<Reading> load_future_readings(pqxx::transaction_base& txn,
                                          const std::vector<Duration>& windows,
                                          Duration max_future_skew, Micros now) {
  // The earliest end of any window: readings from there on are not in any bucket yet.
  Micros earliest_to = INT64_MAX;
  for (auto w : windows) earliest_to = std::min(earliest_to, window_span(w, now).to);
  std::vector<Reading> out;
  if (windows.empty()) return out;
  auto result = txn.exec_params(std::string("SELECT ") + kReadingColumnsSql +
                                    " FROM readings WHERE ts >= $1 AND ts <= $2 ORDER BY ts",
                                format_rfc3339(earliest_to),
                                format_rfc3339(now + to_micros(max_future_skew)));
  for (const auto& row : result) out.push_back(reading_from_row(row));
  return out;
}

std::vector<Reading> load_recent_identities(pqxx::transaction_base& txn,
                                            const std::vector<Duration>& windows, Duration horizon,
                                            Micros now, std::size_t limit) {
  std::vector<Reading> out;
  if (horizon.count() <= 0 || windows.empty()) return out;
  // A copy stamped before every window's start changes no window, so only readings from the
  // earliest start on need remembering; the bound on ts also lets PostgreSQL skip every
  // older daily partition instead of reading the whole table for received_at.
  Micros earliest_from = INT64_MAX;
  for (auto w : windows) earliest_from = std::min(earliest_from, window_span(w, now).from);
  auto result = txn.exec_params(
      std::string("SELECT ") + kReadingColumnsSql +
          " FROM readings WHERE received_at >= $1 AND ts >= $2 ORDER BY received_at LIMIT $3",
      format_rfc3339(now - to_micros(horizon)), format_rfc3339(earliest_from),
      static_cast<long long>(limit));
  for (const auto& row : result) out.push_back(reading_from_row(row));
  return out;
}

void warm_aggregator(pqxx::connection& conn, const Config& config, Aggregator& aggregator) {
  // Readings remembered for deduplication, at most (about 100 bytes each).
  constexpr std::size_t kMaxWarmIdentities = 2'000'000;
  auto log = component_log("warm");
  const Micros now = now_micros();
  // One snapshot for the three questions: a reading committed between them (another instance's,
  // or this one's while a rewarm holds back its input) would otherwise be remembered as counted
  // without being in any bucket, and be missing from the windows.
  pqxx::transaction<pqxx::repeatable_read, pqxx::readwrite_policy::read_only> txn(conn);
  auto rows = load_warm_buckets(txn, config.averages.windows, now);
  aggregator.warm(rows, now);
  auto ahead =
      load_future_readings(txn, config.averages.windows, config.averages.max_future_skew, now);
  for (const auto& r : ahead) aggregator.warm_ahead(r, now);
  auto seen = load_recent_identities(txn, config.averages.windows, config.averages.dedupe_horizon,
                                     now, kMaxWarmIdentities);
  for (const auto& r : seen) aggregator.remember(r);
  if (seen.size() == kMaxWarmIdentities)
    log->warn(
        "more than {} readings within the dedupe horizon; older copies may count twice "
        "in the live windows after this restart",
        kMaxWarmIdentities);
  log->info(
      "live windows warmed from PostgreSQL: {} series, {} buckets, {} readings ahead, {} "
      "remembered for dedupe",
      aggregator.series_count(), rows.size(), ahead.size(), seen.size());
}

}  // namespace roomtemp

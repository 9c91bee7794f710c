#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "timeutil.h"

namespace roomtemp {

/// Each window is kept as (at most) this many time buckets of equal width, aligned to the epoch:
/// 30 when the window's length in microseconds divides by 30 (1m, 15m, 1h, …), else the largest
/// count below that does (a 7s window gets 25 buckets of 280ms), so buckets tile it exactly. The
/// published window is the run of buckets ending with the one holding `now`, so `from` and `to`
/// fall on bucket edges and the numbers are exact over `[from, to)`. Memory per key and window is
/// bounded by the bucket count, whatever the reading rate; a window holds storage only for the span
/// of buckets it needs (a room that reported once keeps one bucket, an idle room none).
inline constexpr int kBucketsPerWindow = 30;

/// Sum, min, max and count of the readings in one bucket.
struct __attribute__((packed)) Bucket {
  double sum = 0;
  double min = 0;
  double max = 0;
  std::uint32_t count = 0;

  void add(double v);
  void merge(const Bucket& other);
};

/// The numbers of one window over `[from, to)`. avg/min/max are meaningful only when count > 0.
struct WindowStats {
  Micros from = 0;
  Micros to = 0;
  std::uint64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  double avg() const { return count ? sum / static_cast<double>(count) : 0; }
  bool same_numbers(const WindowStats& o) const {
    return count == o.count && sum == o.sum && min == o.min && max == o.max;
  }
};

/// One rolling window for one key: a ring of buckets that grows (1, 2, 4, … up to the bucket
/// count) to cover the oldest non-empty bucket still in the window, and is freed when the
/// window empties. Buckets older than the ring's span are empty by construction.
class Window {
 public:
  explicit Window(Micros length);
  Window() = default;

  Micros length() const { return bucket_width_ * buckets_used_; }
  int bucket_count() const { return buckets_used_; }
  /// Buckets of storage held now (0 … bucket_count()).
  int capacity() const { return capacity_; }
  Micros bucket_width() const { return bucket_width_; }

  /// The bucket index holding time t.
  std::int64_t bucket_of(Micros t) const;

  /// Moves the window so that its newest bucket is the one holding `now`; buckets that fall
  /// out are cleared. Returns true when a non-empty bucket fell out.
  bool advance(Micros now);

  /// Adds a reading. Returns false when ts is outside the window ending at `now` (too old, or
  /// later than the bucket holding `now`): such a reading does not count here.
  bool add(Micros ts, double value, Micros now);

  /// Adds a whole bucket's worth (warm start from PostgreSQL). Same rules as add().
  bool add_bucket(std::int64_t index, const Bucket& b, Micros now);

  /// The numbers over the window ending with the bucket holding `now`.
  WindowStats stats(Micros now);

  /// The buckets of the window ending with the one holding `now`, oldest first: bucket_count()
  /// of them, empty ones zero.
  std::vector<Bucket> buckets(Micros now);

  /// When the oldest non-empty bucket leaves the window (so its numbers change with no new
  /// reading); INT64_MAX when the window is empty.
  Micros next_drop() const;

 private:
  Bucket& at(std::int64_t index) const {
    return ring_[static_cast<int>(((index % capacity_) + capacity_) % capacity_)];
  }
  /// Re-slots the held buckets into a ring of `capacity` (> capacity_).
  void grow(int capacity);
  /// Grows the ring (doubling, at most buckets_used_) until it holds `buckets` buckets.
  void hold(std::int64_t buckets);

  Micros bucket_width_ = 0;
  std::int64_t head_ = INT64_MIN;  ///< the newest bucket index covered
  /// Holds the buckets (head_ - capacity_, head_]; null when capacity_ is 0.
  std::unique_ptr<Bucket[]> ring_;
  std::uint8_t buckets_used_ = kBucketsPerWindow;
  std::uint8_t capacity_ = 0;
};

}  // namespace roomtemp

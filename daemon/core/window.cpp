#include "window.h"

#include <algorithm>

namespace roomtemp {

void Bucket::add(double v) {
  if (count == 0) {
    min = max = v;
  } else {
    // Compared by value: std::min/max take references, and a reference to a member of this
    // packed struct may be misaligned (undefined behaviour; clang's UBSan reports it).
    if (v < min) min = v;
    if (v > max) max = v;
  }
  sum += v;
  ++count;
}

void Bucket::merge(const Bucket& o) {
  if (o.count == 0) return;
  if (count == 0) {
    *this = o;
    return;
  }
  if (o.min < min) min = o.min;  // by value, as in add()
  if (o.max > max) max = o.max;
  sum += o.sum;
  count += o.count;
}

Window::Window(Micros length) {
  int buckets = kBucketsPerWindow;
  while (buckets > 1 && length % buckets != 0) --buckets;
  buckets_used_ = static_cast<std::uint8_t>(buckets);
  bucket_width_ = length / buckets;
}

std::int64_t Window::bucket_of(Micros t) const {
  // Floor division, so times before the epoch land in the right bucket too.
  std::int64_t q = t / bucket_width_;
  if (t % bucket_width_ < 0) --q;
  return q;
}

void Window::grow(int capacity) {
  auto ring = std::make_unique<Bucket[]>(capacity);
  for (std::int64_t i = head_ - capacity_ + 1; i <= head_; ++i)
    ring[((i % capacity) + capacity) % capacity] = at(i);
  ring_ = std::move(ring);
  capacity_ = static_cast<std::uint8_t>(capacity);
}

bool Window::advance(Micros now) {
  const std::int64_t target = bucket_of(now);
  if (head_ == INT64_MIN) {
    head_ = target;
    return false;
  }
  if (target <= head_) return false;
  // Buckets at or before `gone` leave the window; the oldest non-empty one after it decides
  // how much of the ring must stay.
  const std::int64_t gone = target - buckets_used_;
  bool dropped = false;
  std::int64_t oldest = INT64_MAX;
  for (std::int64_t i = head_ - capacity_ + 1; i <= head_; ++i) {
    Bucket& b = at(i);
    if (b.count == 0) continue;
    if (i <= gone) {
      dropped = true;
      b = Bucket{};
    } else if (oldest == INT64_MAX) {
      oldest = i;
    }
  }
  if (oldest == INT64_MAX) {  // nothing left: let the storage go
    ring_.reset();
    capacity_ = 0;
    head_ = target;
    return dropped;
  }
  hold(target - oldest + 1);
  // The slots the new buckets take held buckets older than `oldest`: empty already.
  for (std::int64_t i = std::max(head_ + 1, target - capacity_ + 1); i <= target; ++i)
    at(i) = Bucket{};
  head_ = target;
  return dropped;
}

void Window::hold(std::int64_t buckets) {
  if (buckets <= capacity_) return;
  int capacity = std::max<int>(capacity_, 1);
  while (capacity < buckets) capacity = std::min<int>(capacity * 2, buckets_used_);
  grow(capacity);
}

bool Window::add(Micros ts, double value, Micros now) {
  Bucket one;
  one.add(value);
  return add_bucket(bucket_of(ts), one, now);
}

bool Window::add_bucket(std::int64_t index, const Bucket& b, Micros now) {
  advance(now);
  if (index > head_ || index <= head_ - buckets_used_) return false;
  hold(head_ - index + 1);
  at(index).merge(b);
  return true;
}

WindowStats Window::stats(Micros now) {
  advance(now);
  WindowStats s;
  s.to = (head_ + 1) * bucket_width_;
  s.from = s.to - length();
  // Sum oldest first: the order a query over the range would most likely meet them.
  Bucket total;
  for (std::int64_t i = head_ - capacity_ + 1; i <= head_; ++i) total.merge(at(i));
  s.count = total.count;
  s.sum = total.sum;
  s.min = total.min;
  s.max = total.max;
  return s;
}

std::vector<Bucket> Window::buckets(Micros now) {
  advance(now);
  std::vector<Bucket> out(buckets_used_);
  // The ring holds the newest capacity_ of them; older ones are empty by construction.
  for (int k = 0; k < capacity_; ++k) out[buckets_used_ - 1 - k] = at(head_ - k);
  return out;
}

Micros Window::next_drop() const {
  for (std::int64_t i = head_ - capacity_ + 1; i <= head_; ++i)
    if (at(i).count > 0) return (i + buckets_used_) * bucket_width_;
  return INT64_MAX;
}

}  // namespace roomtemp

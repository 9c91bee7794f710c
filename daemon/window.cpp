#include "window.h"

#include <algorithm>

namespace roomtemp {

void Bucket::add(double v) {
  if (count == 0) {
    min = max = v;
  } else {
    min = std::min<double>(min, v);
    max = std::max<double>(max, v);
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
  min = std::min<double>(min, o.min);
  max = std::max<double>(max, o.max);
  sum += o.sum;
  count += o.count;
}

Window::Window(Micros length) : bucket_width_(length / kBucketsPerWindow) {}

std::int64_t Window::bucket_of(Micros t) const {
  // Floor division, so times before the epoch land in the right bucket too.
  std::int64_t q = t / bucket_width_;
  if (t % bucket_width_ < 0) --q;
  return q;
}

bool Window::advance(Micros now) {
  const std::int64_t target = bucket_of(now);
  if (head_ == INT64_MIN || target - head_ >= kBucketsPerWindow) {
    bool dropped = false;
    for (auto& b : buckets_) {
      dropped |= b.count > 0;
      b = Bucket{};
    }
    head_ = target;
    return dropped;
  }
  bool dropped = false;
  while (head_ < target) {
    ++head_;
    Bucket& slot = buckets_[((head_ % kBucketsPerWindow) + kBucketsPerWindow) % kBucketsPerWindow];
    dropped |= slot.count > 0;
    slot = Bucket{};
  }
  return dropped;
}

bool Window::add(Micros ts, double value, Micros now) {
  Bucket one;
  one.add(value);
  return add_bucket(bucket_of(ts), one, now);
}

bool Window::add_bucket(std::int64_t index, const Bucket& b, Micros now) {
  advance(now);
  if (index > head_ || index <= head_ - kBucketsPerWindow) return false;
  buckets_[((index % kBucketsPerWindow) + kBucketsPerWindow) % kBucketsPerWindow].merge(b);
  return true;
}

WindowStats Window::stats(Micros now) {
  advance(now);
  WindowStats s;
  s.to = (head_ + 1) * bucket_width_;
  s.from = s.to - length();
  // Sum oldest first: the order a query over the range would most likely meet them.
  Bucket total;
  for (int i = kBucketsPerWindow - 1; i >= 0; --i) {
    const std::int64_t idx = head_ - i;
    total.merge(buckets_[((idx % kBucketsPerWindow) + kBucketsPerWindow) % kBucketsPerWindow]);
  }
  s.count = total.count;
  s.sum = total.sum;
  s.min = total.min;
  s.max = total.max;
  return s;
}

}  // namespace roomtemp

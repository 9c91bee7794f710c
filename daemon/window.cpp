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

Window::Window(Micros length) {
  buckets_used_ = kBucketsPerWindow;
  while (buckets_used_ > 1 && length % buckets_used_ != 0) --buckets_used_;
  bucket_width_ = length / buckets_used_;
}

std::int64_t Window::bucket_of(Micros t) const {
  // Floor division, so times before the epoch land in the right bucket too.
  std::int64_t q = t / bucket_width_;
  if (t % bucket_width_ < 0) --q;
  return q;
}

bool Window::advance(Micros now) {
  const std::int64_t target = bucket_of(now);
  if (head_ == INT64_MIN || target - head_ >= buckets_used_) {
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
    Bucket& b = buckets_[slot(head_)];
    dropped |= b.count > 0;
    b = Bucket{};
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
  if (index > head_ || index <= head_ - buckets_used_) return false;
  buckets_[slot(index)].merge(b);
  return true;
}

WindowStats Window::stats(Micros now) {
  advance(now);
  WindowStats s;
  s.to = (head_ + 1) * bucket_width_;
  s.from = s.to - length();
  // Sum oldest first: the order a query over the range would most likely meet them.
  Bucket total;
  for (int i = buckets_used_ - 1; i >= 0; --i) total.merge(buckets_[slot(head_ - i)]);
  s.count = total.count;
  s.sum = total.sum;
  s.min = total.min;
  s.max = total.max;
  return s;
}

}  // namespace roomtemp

#pragma once
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace roomtemp {

/// A bounded multi-producer queue with batch pops. A full queue blocks producers: that is the
/// back-pressure that reaches the broker when the writer cannot keep up.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  /// Blocks while full. Returns false (leaving `item` untouched) only when the queue was closed
  /// and `force` is false.
  /// `force` admits the item even when full or closed: for readings already acknowledged to the
  /// broker during shutdown, which must not be lost.
  bool push(T&& item, bool force = false) {
    std::unique_lock lock(mutex_);
    if (!force) {
      not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_ || unbounded_; });
      if (closed_) return false;
    }
    items_.push_back(std::move(item));
    ++pushed_;
    // Wake the consumer only when it can act: a first item starts a batch, a full batch ends
    // its wait early; in between it sleeps until its batch deadline (a futex call per item
    // cost more than the rest of the hand-over).
    const bool wake = items_.size() == 1 || items_.size() >= wake_at_;
    lock.unlock();
    if (wake) not_empty_.notify_one();
    return true;
  }

  /// Items pushed so far: with the consumer's count of items it has finished with, a barrier
  /// ("everything pushed before now is handled").
  std::uint64_t pushed() const {
    std::lock_guard lock(mutex_);
    return pushed_;
  }

  /// Waits up to `idle` for a first item, then gathers more until `max_items` or until
  /// `max_delay` has passed since the first one. Returns what it gathered (maybe nothing).
  std::vector<T> pop_batch(std::size_t max_items, std::chrono::milliseconds max_delay,
                           std::chrono::milliseconds idle) {
    std::vector<T> out;
    std::unique_lock lock(mutex_);
    max_items = std::max<std::size_t>(1, std::min(max_items, capacity_));
    wake_at_ = max_items;
    if (!not_empty_.wait_for(lock, idle, [&] { return !items_.empty() || closed_; })) return out;
    // Then sleep until the batch is full or the first item has waited max_delay (producers
    // wake us at a full batch), and take it all at once.
    const auto deadline = std::chrono::steady_clock::now() + max_delay;
    not_empty_.wait_until(lock, deadline, [&] { return items_.size() >= max_items || closed_; });
    const std::size_t n = std::min(max_items, items_.size());
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    lock.unlock();
    not_full_.notify_all();
    return out;
  }

  /// Shutdown: producers stop waiting for room (what they hold was already acknowledged).
  void lift_limit() {
    {
      std::lock_guard lock(mutex_);
      unbounded_ = true;
    }
    not_full_.notify_all();
  }

  /// Wakes everyone; later pushes fail (unless forced) and pops drain what is left.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool closed_and_empty() const {
    std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  const std::size_t capacity_;
  std::uint64_t pushed_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  bool closed_ = false;
  bool unbounded_ = false;
  std::size_t wake_at_ = 1;  ///< queue size at which a waiting consumer is woken early
};

}  // namespace roomtemp

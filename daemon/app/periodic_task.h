#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "duration.h"

namespace roomtemp {

/// A thread of its own that runs `work` every `interval` until stop() (or destruction), for
/// housekeeping that must not wait on anything else (the journal's fdatasync). The interval
/// can change while it runs (it is asked before each wait).
class PeriodicTask {
 public:
  /// The first run comes after `first` when given, else after one interval.
  PeriodicTask(std::string name, std::function<Duration()> interval, std::function<void()> work,
               std::optional<Duration> first = std::nullopt);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  /// Runs `work` once now, off schedule (e.g. a reload changed the interval: the next wait
  /// uses the new one).
  void wake();
  /// Ends the thread (after the `work` in progress, if any) and joins it.
  void stop();

 private:
  void run();

  std::string name_;
  std::function<Duration()> interval_;
  std::function<void()> work_;
  std::optional<Duration> first_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace roomtemp

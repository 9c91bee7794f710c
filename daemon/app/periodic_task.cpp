#include "periodic_task.h"

#include <pthread.h>

namespace roomtemp {

PeriodicTask::PeriodicTask(std::string name, std::function<Duration()> interval,
                           std::function<void()> work, std::optional<Duration> first)
    : name_(std::move(name)),
      interval_(std::move(interval)),
      work_(std::move(work)),
      first_(first) {
  thread_ = std::thread([this] { run(); });
}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::run() {
  // Named for top -H (15 characters at most).
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const Duration wait = first_ ? *first_ : interval_();
    first_.reset();
    wake_.wait_for(lock, wait, [&] { return stop_ || woken_; });
    if (stop_) break;
    woken_ = false;
    lock.unlock();
    work_();
    lock.lock();
  }
}

}  // namespace roomtemp

#pragma once
#include <chrono>
#include <thread>

namespace roomtemp::harness {

using namespace std::chrono_literals;

/// Polls `done()` every `poll` until it returns true or `timeout` passes; returns its last
/// answer. Every wait in the integration tests goes through a bound like this one.
template <typename Pred>
bool wait_until(Pred&& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace roomtemp::harness

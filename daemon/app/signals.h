#pragma once
#include <chrono>
#include <csignal>

namespace roomtemp {

/// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken here, in one place, by the
/// main loop (no work happens in a signal handler). Construct before any thread starts.
class SignalCatcher {
 public:
  enum class Event { none, stop, reload };

  SignalCatcher();
  /// Waits up to `timeout` for a signal.
  Event wait(std::chrono::milliseconds timeout);

 private:
  sigset_t set_;
};

}  // namespace roomtemp

#include "signals.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace roomtemp {

SignalCatcher::SignalCatcher() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGHUP);
  // Threads created later inherit this mask, so only sigtimedwait below sees these signals.
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  // A closed client socket must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
}

SignalCatcher::Event SignalCatcher::wait(std::chrono::milliseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>(timeout.count() % 1000) * 1000000};
  const int sig = sigtimedwait(&set_, nullptr, &ts);
  if (sig == SIGTERM || sig == SIGINT) return Event::stop;
  if (sig == SIGHUP) return Event::reload;
  return Event::none;
}

}  // namespace roomtemp

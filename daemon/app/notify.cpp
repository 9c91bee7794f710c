#include "notify.h"

#include <systemd/sd-daemon.h>

#include <ctime>

namespace roomtemp::notify {

void ready() { sd_notify(0, "READY=1"); }

void reloading() {
  // systemd 253+ wants MONOTONIC_USEC with RELOADING=1; older ones ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%lld", usec);
}

void stopping() { sd_notify(0, "STOPPING=1"); }

void status(const std::string& line) { sd_notifyf(0, "STATUS=%s", line.c_str()); }

void watchdog() { sd_notify(0, "WATCHDOG=1"); }

void extend_timeout(std::chrono::microseconds more) {
  sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%lld", static_cast<long long>(more.count()));
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace roomtemp::notify

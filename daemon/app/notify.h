#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace roomtemp {

/// Talks to systemd through $NOTIFY_SOCKET (no-ops when it is unset).
namespace notify {
void ready();
void reloading();
void stopping();
void status(const std::string& line);
void watchdog();
/// Asks for `more` time from now to finish starting (EXTEND_TIMEOUT_USEC), for work whose
/// length depends on the database's size, past the unit's TimeoutStartSec.
void extend_timeout(std::chrono::microseconds more);
/// The watchdog interval systemd expects pings within, when WatchdogSec is set.
std::optional<std::chrono::microseconds> watchdog_interval();
}  // namespace notify

}  // namespace roomtemp

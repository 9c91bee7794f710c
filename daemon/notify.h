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
/// The watchdog interval systemd expects pings within, when WatchdogSec is set.
std::optional<std::chrono::microseconds> watchdog_interval();
}  // namespace notify

}  // namespace roomtemp

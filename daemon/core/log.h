#pragma once
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace roomtemp {

/// Sets up logging to stderr as `level component: message` (journald adds the time).
void init_logging(const std::string& level);

/// Changes the level of every component logger (SIGHUP reload).
void set_log_level(const std::string& level);

/// The logger of a component ("ingest", "mqtt", "writer", "http", "main", …).
std::shared_ptr<spdlog::logger> component_log(const std::string& component);

/// A library's message (libpq's span lines, with tabs) as one log line: line breaks and tabs
/// become single spaces, and the ends are trimmed.
std::string one_line(std::string_view message);

/// Lets through at most `per_second` events per second; counts the rest so the next line
/// that passes can say how many were suppressed.
class RateLimit {
 public:
  explicit RateLimit(int per_second) : per_second_(per_second) {}
  /// True when this event may be logged; `suppressed` gets the count skipped since the last.
  bool allow(std::uint64_t& suppressed);

 private:
  const int per_second_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point window_start_{};
  int in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace roomtemp

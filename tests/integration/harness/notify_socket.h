#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace roomtemp::harness {

/// A datagram socket standing in for systemd's notify socket: collects every message
/// (`READY=1`, `STATUS=…`, one line each) with the time it arrived.
class NotifySocket {
 public:
  struct Message {
    std::string line;
    std::chrono::steady_clock::time_point at;
  };

  explicit NotifySocket(std::string path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  /// Called on the receiving thread for each line as it arrives (e.g. to look at the daemon
  /// at the very moment it says READY=1).
  void on_line(std::function<void(const std::string&)> f) {
    std::lock_guard lock(mu_);
    on_line_ = std::move(f);
  }
  std::vector<Message> messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }
  /// Index of the first line equal to `line` (or starting with it, when `prefix`) at or after
  /// `from`, waiting up to `timeout`; nullopt when none came.
  std::optional<std::size_t> wait_for(const std::string& line, std::size_t from,
                                      std::chrono::milliseconds timeout, bool prefix = false);

 private:
  void receive(const std::stop_token& stop);

  std::string path_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::vector<Message> messages_;
  std::function<void(const std::string&)> on_line_;
  std::jthread thread_;
};

}  // namespace roomtemp::harness

#pragma once
#include <atomic>
#include <memory>

#include "config.h"

namespace roomtemp {

/// The configuration in force. One object owns it (app's Daemon) and hands it to the parts that
/// read it while running; a reload (SIGHUP) swaps in a whole new Config, so a reader holds one
/// consistent configuration for as long as it keeps the pointer. Thread-safe.
class LiveConfig {
 public:
  explicit LiveConfig(std::shared_ptr<const Config> config) : current_(std::move(config)) {}

  std::shared_ptr<const Config> get() const { return current_.load(); }
  void set(std::shared_ptr<const Config> config) { current_.store(std::move(config)); }

 private:
  std::atomic<std::shared_ptr<const Config>> current_;
};

}  // namespace roomtemp

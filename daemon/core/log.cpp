#include "log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <map>

namespace roomtemp {
namespace {

/// Prints the short level names of our log format (spdlog's own says "warning", "critical").
class ShortLevel : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn",
                                                  "error", "crit",  "off"};
    auto name = kNames[static_cast<int>(msg.level)];
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ShortLevel>();
  }
};

struct Registry {
  std::mutex mutex;
  spdlog::sink_ptr sink;
  std::map<std::string, std::shared_ptr<spdlog::logger>> loggers;
  spdlog::level::level_enum level = spdlog::level::info;
};

Registry& registry() {
  static Registry r;
  return r;
}

spdlog::level::level_enum parse_level(const std::string& level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return spdlog::level::info;
}

spdlog::sink_ptr make_sink() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<ShortLevel>('*').set_pattern("%* %n: %v");
  sink->set_formatter(std::move(formatter));
  return sink;
}

}  // namespace

void init_logging(const std::string& level) { set_log_level(level); }

void set_log_level(const std::string& level) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.level = parse_level(level);
  for (auto& [name, logger] : r.loggers) logger->set_level(r.level);
}

std::shared_ptr<spdlog::logger> component_log(const std::string& component) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.loggers.find(component); it != r.loggers.end()) return it->second;
  if (!r.sink) r.sink = make_sink();
  auto logger = std::make_shared<spdlog::logger>(component, r.sink);
  logger->set_level(r.level);
  logger->flush_on(spdlog::level::trace);
  r.loggers.emplace(component, logger);
  return logger;
}

bool RateLimit::allow(std::uint64_t& suppressed) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= per_second_) {
    ++suppressed_;
    return false;
  }
  ++in_window_;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const bool gap = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (!gap)
      out += c;
    else if (!out.empty() && out.back() != ' ')
      out += ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace roomtemp

#include "harness/stream.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "harness/text.h"
#include "harness/wait.h"

namespace roomtemp::harness {

std::vector<Publication> sensor_readings(int count, std::int64_t first_micros,
                                         std::int64_t step_micros) {
  std::vector<Publication> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const std::int64_t ts = first_micros + std::int64_t{i} * step_micros;
    out.push_back({"buildings/B" + std::to_string(i % 4) + "/rooms/" +
                       std::to_string(100 + (i / 4) % 5) + "/temperature",
                   R"({"temperature": )" + std::to_string(15 + i % 100 / 10.0) +
                       R"(, "timestamp": ")" + rfc3339(ts, 0, 6) + R"(", "sensor_id": "s)" +
                       std::to_string(i % 3) + "\"}"});
  }
  return out;
}

Publication publication(const Sample& s) {
  nlohmann::json p = {{"temperature", s.value}, {"timestamp", rfc3339(s.ts, 0, 6)}};
  if (s.sensor) p["sensor_id"] = *s.sensor;
  return {"buildings/" + s.building + "/rooms/" + s.room + "/temperature", p.dump()};
}

SteadyPublisher::SteadyPublisher(int port, std::vector<Publication> messages, int rate_per_second,
                                 MqttClientOptions options)
    : messages_(std::move(messages)) {
  // The client is made on this thread so that a broker that does not answer fails the
  // constructor, not silently the thread.
  auto client = std::make_shared<MqttClient>(port, options);
  thread_ = std::jthread([this, client, rate_per_second](std::stop_token stop) {
    try {
      const int total = static_cast<int>(messages_.size());
      // Small chunks keep the pace even; each chunk waits for its acks before the next.
      const int chunk = rate_per_second > 0 ? std::clamp(rate_per_second / 50, 1, 200) : 200;
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < total && !stop.stop_requested(); i += chunk) {
        if (rate_per_second > 0)
          std::this_thread::sleep_until(
              start + std::chrono::microseconds(std::int64_t{i} * 1'000'000 / rate_per_second));
        const int end = std::min(i + chunk, total);
        for (int j = i; j < end; ++j) {
          client->publish(messages_[j].topic, messages_[j].payload, 1, false, false);
          published_ = j + 1;
        }
        // Bounded, but long enough to ride out a broker restart.
        client->wait_all_acked(std::chrono::seconds(60));
        acked_ = static_cast<int>(client->acked());
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mu_);
      error_ = e.what();
    }
    acked_ = static_cast<int>(client->acked());
    finished_ = true;
  });
}

SteadyPublisher::~SteadyPublisher() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

bool SteadyPublisher::wait_done(std::chrono::milliseconds timeout) {
  return wait_until([&] { return finished_.load(); }, timeout, std::chrono::milliseconds(20)) &&
         error().empty() && acked_.load() == static_cast<int>(messages_.size());
}

std::string SteadyPublisher::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

std::optional<double> prometheus_value(std::string_view text, std::string_view series) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ')
      return std::strtod(std::string(line.substr(series.size() + 1)).c_str(), nullptr);
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace roomtemp::harness

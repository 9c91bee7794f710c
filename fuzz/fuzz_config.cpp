// The YAML config: parse_config must turn any text into either a config that holds together or
// errors, never a crash nor a half-valid config.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "config_file.h"
#include "fuzz_check.h"
#include "mqtt_client.h"
#include "topic.h"

using namespace roomtemp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ConfigResult result = parse_config(text, "fuzz.yaml");

  FUZZ_CHECK(result.config.has_value() == result.errors.empty());
  for (const auto& e : result.errors) {
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(!e.to_string().empty());
  }
  if (!result.config) return 0;

  // What the rest of the daemon takes for granted once a config is accepted.
  const Config& c = *result.config;
  FUZZ_CHECK(!c.postgres.dsn.empty());
  FUZZ_CHECK(!c.mqtt.host.empty());
  FUZZ_CHECK(c.mqtt.port >= 1 && c.mqtt.port <= 65535);
  FUZZ_CHECK(c.mqtt.qos >= 0 && c.mqtt.qos <= 2);
  FUZZ_CHECK(!c.mqtt.subscriptions.empty());
  for (const auto& s : c.mqtt.subscriptions) FUZZ_CHECK(valid_subscription(s));
  FUZZ_CHECK(c.postgres.batch_max_rows >= 1);
  FUZZ_CHECK(!c.spool.dir.empty());
  // The REST API falls back to metrics.front() and every reading needs a configured metric.
  FUZZ_CHECK(!c.metrics.empty());
  for (const auto& m : c.metrics) {
    FUZZ_CHECK(valid_id(m.name));
    FUZZ_CHECK(std::isfinite(m.min) && std::isfinite(m.max) && m.min <= m.max);
  }
  FUZZ_CHECK(!c.averages.windows.empty());
  std::set<Duration::rep> windows;
  for (const auto& w : c.averages.windows) {
    FUZZ_CHECK(w >= std::chrono::seconds(1) && w.count() % 1000 == 0);
    FUZZ_CHECK(windows.insert(w.count()).second);
  }
  FUZZ_CHECK(c.averages.publish_interval >= std::chrono::milliseconds(10));
  std::string host;
  int port = 0;
  FUZZ_CHECK(c.http.listen.empty() || split_host_port(c.http.listen, host, port));
  static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error"};
  FUZZ_CHECK(kLevels.count(c.log.level) == 1);
  return 0;
}

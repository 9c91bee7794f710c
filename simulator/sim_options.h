#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "device_formats.h"
#include "duration.h"

namespace roomtemp::sim {

/// A metric the simulator publishes and the range its good readings stay in.
struct MetricRange {
  std::string name;
  double min = 0;
  double max = 0;
};

/// The range used for `--metrics NAME` without `:MIN:MAX`; nullopt for an unknown name.
std::optional<MetricRange> default_metric_range(std::string_view name);

/// Parses one `--metrics` item, `NAME` or `NAME:MIN:MAX`. Throws std::invalid_argument.
MetricRange parse_metric_range(std::string_view item);

/// Everything `roomtemp-sim` was asked to do, validated.
struct SimOptions {
  // Broker
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  ///< empty: "roomtemp-sim-<pid>"
  std::string username;
  std::string password_file;
  std::string tls_ca;
  int qos = 0;
  int max_inflight = 1000;  ///< unacknowledged messages allowed before publishing waits

  // What to publish
  int buildings = 3;
  int rooms = 10;
  std::vector<MetricRange> metrics;  ///< never empty after parsing
  double rate = 1;                   ///< readings per second per room and metric; 0 = flat out
  bool uniform = false;
  double bad_fraction = 0;
  bool json = true;
  bool timestamps = true;
  bool sensor_ids = false;
  std::optional<std::uint64_t> seed;
  DeviceFormat format = DeviceFormat::native;  ///< --format: the device family to play
  TimeZone zone{};                             ///< --timezone (tasmota's local Time)
  int batch_size = 10;                         ///< --batch-size (batch: readings per message)

  // When to stop (both unset: until SIGINT/SIGTERM)
  std::optional<std::uint64_t> count;
  std::optional<Duration> duration;

  // Logging
  bool quiet = false;
  Duration progress_interval = std::chrono::seconds(10);  ///< 0: no progress lines
};

/// The process should exit with this code without running (after --help, or bad arguments,
/// which have been reported on stderr).
struct EarlyExit {
  int code;
};

/// Parses the command line. Help goes to stdout (exit 0), errors to stderr (exit 2).
std::variant<SimOptions, EarlyExit> parse_sim_options(int argc, char** argv);

}  // namespace roomtemp::sim

#include "sim_options.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "topic.h"

namespace roomtemp::sim {
namespace {

// Rooms are numbered 101, 102, …; these caps keep the series table (one entry per building,
// room and metric) small enough to build instantly and far beyond any realistic load test.
constexpr int kMaxBuildings = 10'000;
constexpr int kMaxRooms = 10'000;

double parse_number(std::string_view text, std::string_view what) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(v))
    throw std::invalid_argument(std::string(what) + " '" + std::string(text) + "' is not a number");
  return v;
}

Duration parse_positive_duration(const std::string& text, const char* option) {
  auto d = parse_duration(text);
  if (!d || d->count() <= 0)
    throw CLI::ValidationError(
        option, "'" + text + "' is not a positive duration like 500ms, 10s, 15m, 1h");
  return *d;
}

// What CLI11 checks for us is reported by it; the rest goes through here to get the same
// "--option: message" shape.
/// The device family options' text, checked after parsing.
struct DeviceText {
  std::string format = "native";
  std::string zone = "UTC";
};

/// --format, --timezone and --batch-size (README "Connecting real sensors").
void add_device_options(CLI::App& app, SimOptions& o, DeviceText& text) {
  app.add_option("--format", text.format,
                 "payload shape (README \"Connecting real sensors\"): native (buildings/…), or a "
                 "device family's topics and payloads: " +
                     std::string(device_format_names()) +
                     "; devices are named <building>-<room>; --bad-fraction stays native")
      ->capture_default_str()
      ->group("Payload");
  app.add_option("--timezone", text.zone,
                 "tasmota: the IANA zone its local Time (no offset) is printed in")
      ->capture_default_str()
      ->group("Payload");
  app.add_option("--batch-size", o.batch_size,
                 "batch: readings per message, each with its own time (a message counts once "
                 "for --rate and --count)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64))
      ->group("Payload");
}

void validate_device(SimOptions& o, const DeviceText& text) {
  if (auto format = parse_device_format(text.format))
    o.format = *format;
  else
    throw CLI::ValidationError("--format", "expected " + std::string(device_format_names()));
  if (auto zone = find_time_zone(text.zone))
    o.zone = *zone;
  else
    throw CLI::ValidationError("--timezone", "'" + text.zone + "' is no IANA time zone");
}

void validate(SimOptions& o, const std::vector<std::string>& metric_items,
              const std::string& duration_text, const std::string& progress_text,
              std::int64_t count) {
  if (o.host.empty()) throw CLI::ValidationError("--host", "must not be empty");
  if (!o.client_id.empty() && o.client_id.size() > 65535)
    throw CLI::ValidationError("--client-id", "too long");
  for (const auto& item : metric_items) {
    try {
      MetricRange m = parse_metric_range(item);
      for (const auto& seen : o.metrics)
        if (seen.name == m.name) throw std::invalid_argument("'" + m.name + "' given twice");
      o.metrics.push_back(std::move(m));
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--metrics", e.what());
    }
  }
  if (o.metrics.empty()) o.metrics.push_back(*default_metric_range("temperature"));
  if (!duration_text.empty()) o.duration = parse_positive_duration(duration_text, "--duration");
  if (progress_text != "0" && progress_text != "0s")
    o.progress_interval = parse_positive_duration(progress_text, "--progress");
  else
    o.progress_interval = Duration::zero();
  if (count > 0) o.count = static_cast<std::uint64_t>(count);
}

}  // namespace

std::optional<MetricRange> default_metric_range(std::string_view name) {
  if (name == "temperature") return MetricRange{"temperature", -60, 100};
  if (name == "humidity") return MetricRange{"humidity", 0, 100};
  if (name == "co2") return MetricRange{"co2", 0, 5000};
  return std::nullopt;
}

MetricRange parse_metric_range(std::string_view item) {
  const auto colon = item.find(':');
  const std::string_view name = item.substr(0, colon);
  if (!valid_id(name))
    throw std::invalid_argument("metric name '" + std::string(name) +
                                "' must be 1-64 characters of A-Z a-z 0-9 _ - .");
  if (colon == std::string_view::npos) {
    if (auto known = default_metric_range(name)) return *known;
    throw std::invalid_argument("metric '" + std::string(name) +
                                "' has no default range; write it as " + std::string(name) +
                                ":MIN:MAX");
  }
  const std::string_view range = item.substr(colon + 1);
  const auto colon2 = range.find(':');
  if (colon2 == std::string_view::npos)
    throw std::invalid_argument("'" + std::string(item) + "' should be NAME:MIN:MAX");
  MetricRange m{std::string(name), parse_number(range.substr(0, colon2), "minimum"),
                parse_number(range.substr(colon2 + 1), "maximum")};
  if (!(m.min < m.max))
    throw std::invalid_argument("'" + std::string(item) + "': minimum must be below maximum");
  return m;
}

std::variant<SimOptions, EarlyExit> parse_sim_options(int argc, char** argv) {
  SimOptions o;
  std::vector<std::string> metric_items;
  std::string duration_text, progress_text = "10s";
  std::int64_t count = 0;
  bool bare = false;

  CLI::App app{
      "roomtemp-sim: publishes simulated room sensor readings to an MQTT broker on\n"
      "buildings/{B1…}/rooms/{101…}/{metric}. Prints 'sent N readings in S s (R/s)' at the end,\n"
      "N counting what the broker acknowledged (QoS 0: what was written to the socket).",
      "roomtemp-sim"};

  app.add_option("--host", o.host, "broker host")->capture_default_str()->group("Broker");
  app.add_option("--port", o.port, "broker port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535))
      ->group("Broker");
  app.add_option("--qos", o.qos, "MQTT QoS of every message")
      ->capture_default_str()
      ->check(CLI::IsMember({0, 1, 2}))
      ->group("Broker");
  app.add_option("--client-id", o.client_id, "MQTT client id (default roomtemp-sim-<pid>)")
      ->group("Broker");
  app.add_option("--username", o.username, "MQTT user name")->group("Broker");
  app.add_option(
         "--password-file", o.password_file,
         "file holding the MQTT password (one trailing newline ignored), as roomtempd reads it")
      ->check(CLI::ExistingFile)
      ->group("Broker");
  app.add_option("--tls-ca", o.tls_ca, "CA certificate file; enables TLS")
      ->check(CLI::ExistingFile)
      ->group("Broker");
  app.add_option("--max-inflight", o.max_inflight,
                 "unacknowledged messages allowed before publishing waits")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535))
      ->group("Broker");

  app.add_option("--buildings", o.buildings, "buildings B1, B2, …")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxBuildings))
      ->group("Readings");
  app.add_option("--rooms", o.rooms, "rooms per building, numbered 101, 102, …")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxRooms))
      ->group("Readings");
  app.add_option("--metrics", metric_items,
                 "comma-separated metrics, each NAME or NAME:MIN:MAX (defaults: "
                 "temperature -60:100, humidity 0:100, co2 0:5000) [temperature]")
      ->delimiter(',')
      ->group("Readings");
  app.add_option("--rate", o.rate,
                 "readings per second per room and metric; 0 = as fast as the broker takes them")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9))
      ->group("Readings");
  app.add_flag("--uniform", o.uniform,
               "draw values uniformly from -50…50 (within the metric's range) instead of a "
               "random walk")
      ->group("Readings");
  app.add_option("--bad-fraction", o.bad_fraction,
                 "fraction of messages that are malformed, cycling through 9 kinds")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group("Readings");
  bool json = false;
  auto* json_flag =
      app.add_flag("--json", json, "JSON object payloads (default)")->group("Payload");
  auto* bare_flag = app.add_flag("--bare", bare, "bare number payloads")->group("Payload");
  json_flag->excludes(bare_flag);
  bool timestamps = false, no_timestamps = false;
  auto* ts_flag = app.add_flag("--timestamps", timestamps,
                               "include an RFC 3339 UTC timestamp with milliseconds (JSON "
                               "only; default)")
                      ->group("Payload");
  app.add_flag("--no-timestamps", no_timestamps, "send no timestamp; the daemon stamps arrival")
      ->excludes(ts_flag)
      ->group("Payload");
  app.add_flag("--sensor-ids", o.sensor_ids, "include sensor_id s-{building}-{room} (JSON only)")
      ->group("Payload");
  app.add_option("--seed", o.seed, "random seed (default: random, logged)")->group("Payload");
  DeviceText device_text;
  add_device_options(app, o, device_text);

  app.add_option("--count", count, "stop after this many readings in total")
      ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()))
      ->group("Stopping");
  app.add_option("--duration", duration_text, "stop after this long (500ms, 10s, 15m, 1h)")
      ->group("Stopping");

  app.add_flag("--quiet,-q", o.quiet, "log only warnings and errors")->group("Logging");
  app.add_option("--progress", progress_text, "log a progress line this often; 0 = never")
      ->capture_default_str()
      ->group("Logging");

  try {
    app.parse(argc, argv);
    o.json = !bare;
    o.timestamps = !no_timestamps;
    validate(o, metric_items, duration_text, progress_text, count);
    validate_device(o, device_text);
  } catch (const CLI::CallForHelp& e) {
    return EarlyExit{app.exit(e)};
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the --help hint to stderr
    return EarlyExit{2};
  }
  return o;
}

}  // namespace roomtemp::sim

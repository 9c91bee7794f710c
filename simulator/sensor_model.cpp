#include "sensor_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "payload.h"

namespace roomtemp::sim {
namespace {

// Random walk shape, relative to the metric's range: a reading moves by about 0.05 % of the
// range per step and is pulled gently back to a typical value, so a temperature wanders
// within a degree or two of 21 °C instead of drifting to the range's ends on long runs.
constexpr double kStepFraction = 0.0005;
constexpr double kStartSpreadFraction = 0.01;
constexpr double kPullBack = 0.001;

// `--uniform` mimics the earliest temperature services, which drew from -50…50.
constexpr double kUniformLow = -50;
constexpr double kUniformHigh = 50;

constexpr Micros kFutureOffset = 24LL * 3600 * kMicrosPerSecond;
constexpr std::size_t kOversizedPayloadBytes = kMaxPayloadBytes + 1024;

double typical_value(const MetricRange& m) {
  double typical = (m.min + m.max) / 2;
  if (m.name == "temperature")
    typical = 21;
  else if (m.name == "humidity")
    typical = 45;
  else if (m.name == "co2")
    typical = 600;
  return std::clamp(typical, m.min, m.max);
}

// Two decimals, as sensors report; printed in the shortest form that reads back the same.
std::string format_value(double v) { return fmt::format("{}", std::round(v * 100) / 100); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::string format_ms(std::int64_t ms) {
  const std::int64_t secs = floor_div(ms, 1000);
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms - secs * 1000);
}

}  // namespace

std::string_view bad_kind_name(BadKind kind) {
  switch (kind) {
    case BadKind::bad_building_id:
      return "bad_building_id";
    case BadKind::unknown_metric:
      return "unknown_metric";
    case BadKind::garbage:
      return "garbage";
    case BadKind::nan_value:
      return "nan_value";
    case BadKind::out_of_range:
      return "out_of_range";
    case BadKind::future_timestamp:
      return "future_timestamp";
    case BadKind::bad_timestamp:
      return "bad_timestamp";
    case BadKind::too_large:
      return "too_large";
    case BadKind::missing_value:
      return "missing_value";
  }
  return "?";
}

ModelSettings model_settings(const SimOptions& o) {
  ModelSettings m{o.buildings,    o.rooms, o.metrics,    o.uniform,
                  o.bad_fraction, o.json,  o.timestamps, o.sensor_ids};
  m.format = o.format;
  m.zone = o.zone;
  m.batch_size = o.batch_size;
  return m;
}

std::string format_timestamp_ms(Micros t) { return format_ms(floor_div(t, 1000)); }

SensorModel::SensorModel(ModelSettings settings, std::uint64_t seed)
    : settings_(std::move(settings)), rng_(seed) {
  // Series are ordered so that consecutive indexes visit different rooms: a paced run spreads
  // each room's readings evenly over the second instead of bunching them.
  for (std::size_t m = 0; m < settings_.metrics.size(); ++m) {
    const MetricRange& metric = settings_.metrics[m];
    for (int b = 1; b <= settings_.buildings; ++b) {
      for (int r = 101; r < 101 + settings_.rooms; ++r) {
        Series s;
        s.building = "B" + std::to_string(b);
        s.room = std::to_string(r);
        s.metric = m;
        s.topic = "buildings/" + s.building + "/rooms/" + s.room + "/" + metric.name;
        s.sensor_id = "s-" + s.building + "-" + s.room;
        const double spread = (metric.max - metric.min) * kStartSpreadFraction;
        s.value =
            std::clamp(typical_value(metric) + normal_(rng_) * spread, metric.min, metric.max);
        series_.push_back(std::move(s));
      }
    }
  }
}

double SensorModel::step(Series& s) {
  const MetricRange& m = settings_.metrics[s.metric];
  if (settings_.uniform) {
    double lo = std::max(m.min, kUniformLow), hi = std::min(m.max, kUniformHigh);
    if (!(lo < hi)) lo = m.min, hi = m.max;  // the metric's range lies outside -50…50
    s.value = std::uniform_real_distribution<double>(lo, hi)(rng_);
    return s.value;
  }
  const double width = m.max - m.min;
  double v =
      s.value + kPullBack * (typical_value(m) - s.value) + normal_(rng_) * width * kStepFraction;
  if (v > m.max) v = 2 * m.max - v;  // reflect at the edges
  if (v < m.min) v = 2 * m.min - v;
  s.value = std::clamp(v, m.min, m.max);
  return s.value;
}

std::int64_t SensorModel::unique_ms(Series& s, Micros now) {
  const std::int64_t ms = std::max(floor_div(now, 1000), s.last_ms + 1);
  s.last_ms = ms;
  max_lead_ = std::max(max_lead_, ms * 1000 - now);
  return ms;
}

void SensorModel::write_reading(const Series& s, std::string_view value_key, std::string_view value,
                                std::int64_t ms, std::string& out) const {
  out.clear();
  if (!settings_.json) {
    out.append(value);
    return;
  }
  fmt::format_to(std::back_inserter(out), "{{\"{}\": {}", value_key, value);
  if (settings_.timestamps)
    fmt::format_to(std::back_inserter(out), ", \"timestamp\": \"{}\"", format_ms(ms));
  if (settings_.sensor_ids)
    fmt::format_to(std::back_inserter(out), ", \"sensor_id\": \"{}\"", s.sensor_id);
  out.push_back('}');
}

void SensorModel::next(std::size_t index, Micros now, SensorMessage& out) {
  // Exactly floor(n × f) of the first n messages are bad, spread evenly: tests can count
  // rejections, and small fractions still produce some.
  const double f = settings_.bad_fraction;
  const std::uint64_t k = emitted_++;
  const bool bad = f > 0 && std::floor(static_cast<double>(k + 1) * f + 1e-9) >
                                std::floor(static_cast<double>(k) * f + 1e-9);
  if (bad) {
    make_bad(static_cast<BadKind>(bad_emitted_++ % kBadKindCount), index, now, out);
    return;
  }
  Series& s = series_[index % series_.size()];
  const double v = step(s);
  out.bad = false;
  const std::string& metric = settings_.metrics[s.metric].name;
  if (settings_.format == DeviceFormat::batch) {
    // A gateway's batch: consecutive readings of the series, each with its own time.
    begin_batch(s.building, s.room, out.topic, out.payload);
    for (int i = 0; i < settings_.batch_size; ++i) {
      const std::string value = format_value(i == 0 ? v : step(s));
      add_to_batch({s.building, s.room, metric, value, unique_ms(s, now) * 1000}, out.payload);
    }
    end_batch(out.payload);
    return;
  }
  const std::int64_t ms = settings_.timestamps ? unique_ms(s, now) : 0;
  if (settings_.format != DeviceFormat::native) {
    const std::string value = format_value(v);
    write_device_message(
        settings_.format,
        {s.building, s.room, metric, value, settings_.timestamps ? ms * 1000 : now}, settings_.zone,
        out.topic, out.payload);
    return;
  }
  out.topic = s.topic;
  write_reading(s, metric, format_value(v), ms, out.payload);
}

void SensorModel::make_bad(BadKind kind, std::size_t index, Micros now, SensorMessage& out) {
  const Series& s = series_[index % series_.size()];
  const MetricRange& m = settings_.metrics[s.metric];
  const std::string value = format_value(s.value);
  const std::int64_t now_ms = floor_div(now, 1000);
  ++bad_counts_[static_cast<std::size_t>(kind)];
  out.bad = true;
  out.topic = s.topic;
  switch (kind) {
    case BadKind::bad_building_id:
      out.topic = "buildings/B " + s.building.substr(1) + "/rooms/" + s.room + "/" + m.name;
      write_reading(s, m.name, value, now_ms, out.payload);
      break;
    case BadKind::unknown_metric:
      out.topic = "buildings/" + s.building + "/rooms/" + s.room + "/no_such_metric";
      write_reading(s, "value", value, now_ms, out.payload);
      break;
    case BadKind::garbage:
      out.payload = fmt::format("#garbage {:016x} <not a reading>", rng_());
      break;
    case BadKind::nan_value:
      write_reading(s, m.name, "NaN", now_ms, out.payload);
      break;
    case BadKind::out_of_range: {
      // Alternate above and below the range, well clear of it.
      const double margin = std::max(1.0, (m.max - m.min) * 0.1);
      const bool above = bad_counts_[static_cast<std::size_t>(kind)] % 2 == 1;
      write_reading(s, m.name, format_value(above ? m.max + margin : m.min - margin), now_ms,
                    out.payload);
      break;
    }
    case BadKind::future_timestamp:
      out.payload = fmt::format(R"({{"{}": {}, "timestamp": "{}"}})", m.name, value,
                                format_timestamp_ms(now + kFutureOffset));
      break;
    case BadKind::bad_timestamp:
      out.payload = fmt::format(R"({{"{}": {}, "timestamp": "yesterday at noon"}})", m.name, value);
      break;
    case BadKind::too_large:
      out.payload = fmt::format(R"({{"{}": {}, "padding": "{}"}})", m.name, value,
                                std::string(kOversizedPayloadBytes, 'x'));
      break;
    case BadKind::missing_value:
      out.payload =
          fmt::format(R"({{"reading": {}, "timestamp": "{}"}})", value, format_ms(now_ms));
      break;
  }
}

}  // namespace roomtemp::sim

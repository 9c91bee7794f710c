#include "payload.h"

#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "topic.h"

namespace roomtemp {
namespace {

/// What one top-level field of a JSON object held.
struct Field {
  enum class Kind { absent, null, number, string, other };
  Kind kind = Kind::absent;
  double number = 0;
  std::string text;
};

/// The top-level fields named `names` of a JSON object, collected while nlohmann's SAX parser
/// reads it: no document is built (the DOM parse was the larger part of a reading's CPU).
/// Like the DOM, a key given twice counts with its last value.
template <std::size_t N>
class FieldCollector final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit FieldCollector(std::array<std::string_view, N> names) : names_(names) {}

  std::array<Field, N> fields;  ///< fields[i] is names[i]'s

  bool null() override { return scalar(Field::Kind::null, 0, nullptr); }
  bool boolean(bool) override { return scalar(Field::Kind::other, 0, nullptr); }
  bool number_integer(number_integer_t v) override {
    return scalar(Field::Kind::number, static_cast<double>(v), nullptr);
  }
  bool number_unsigned(number_unsigned_t v) override {
    return scalar(Field::Kind::number, static_cast<double>(v), nullptr);
  }
  bool number_float(number_float_t v, const string_t&) override {
    return scalar(Field::Kind::number, v, nullptr);
  }
  bool string(string_t& v) override { return scalar(Field::Kind::string, 0, &v); }
  bool binary(binary_t&) override { return scalar(Field::Kind::other, 0, nullptr); }
  bool start_object(std::size_t) override { return open(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      wanted_ = 0;  // one key may be two names (a metric called "value")
      for (std::size_t i = 0; i < N; ++i)
        if (k == names_[i]) wanted_ |= 1u << i;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  void set(Field::Kind kind, double number, const std::string* text) {
    for (std::size_t i = 0; i < N; ++i) {
      if (!(wanted_ & (1u << i))) continue;
      fields[i].kind = kind;
      fields[i].number = number;
      if (text) fields[i].text = *text;
    }
    wanted_ = 0;
  }
  bool scalar(Field::Kind kind, double number, const std::string* text) {
    if (depth_ == 1) set(kind, number, text);
    return true;
  }
  bool open() {
    if (depth_ == 1) set(Field::Kind::other, 0, nullptr);  // a nested object or array as a value
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  std::array<std::string_view, N> names_;
  int depth_ = 0;
  unsigned wanted_ = 0;
};

/// Reads `text` (which must hold one JSON object, nothing after it) into `fields`.
template <std::size_t N>
bool collect(std::string_view text, FieldCollector<N>& fields) {
  return nlohmann::json::sax_parse(text, &fields, nlohmann::json::input_format_t::json, true);
}

/// How a refusal names what a field held instead of a number.
const char* kind_name(Field::Kind kind) {
  switch (kind) {
    case Field::Kind::null:
      return "null";
    case Field::Kind::string:
      return "a string";
    case Field::Kind::other:
      return "not a single value";
    case Field::Kind::absent:
    case Field::Kind::number:
      break;
  }
  return "something else";
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

std::string_view trim_json_whitespace(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool parse_bare_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  if (s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return false;  // "+-5" is not a number
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ptr != s.data() + s.size()) return false;
  // from_chars reports out_of_range both for 1e999 (treated as infinite, so it is named
  // not_finite) and for 1e-400 (an underflow: about zero, a finite value).
  if (ec == std::errc::result_out_of_range) {
    const auto e = s.find_first_of("eE");
    const bool underflow = e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-';
    out = (s.front() == '-' ? -1.0 : 1.0) * (underflow ? 0.0 : HUGE_VAL);
    return true;
  }
  return ec == std::errc{};
}

std::optional<Micros> parse_timestamp_text(std::string_view text) { return parse_rfc3339(text); }

std::optional<Micros> epoch_seconds_to_micros(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0) return std::nullopt;
  return static_cast<Micros>(std::llround(seconds * 1e6));
}

std::optional<Micros> epoch_number_to_micros(double number) {
  if (std::isfinite(number) && number >= kEpochMillisecondsFrom)
    return epoch_seconds_to_micros(number / 1000);
  return epoch_seconds_to_micros(number);
}

std::optional<Refusal> check_payload_size(std::string_view payload) {
  if (payload.size() <= kMaxPayloadBytes) return std::nullopt;
  return Refusal{RejectReason::too_large, "payload of " + std::to_string(payload.size()) +
                                              " bytes exceeds " + std::to_string(kMaxPayloadBytes)};
}

std::variant<PayloadFields, Refusal> read_payload(std::string_view payload,
                                                  std::string_view metric) {
  std::string_view text = payload;
  // Some sensors (and editors that wrote a test payload) start UTF-8 text with a byte order
  // mark; JSON and numbers never begin with one, so it is skipped rather than refused.
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  text = trim_json_whitespace(text);
  if (text.empty()) return Refusal{RejectReason::bad_payload, "empty payload"};

  if (text.front() != '{') {
    double v;
    if (!parse_bare_number(text, v))
      return Refusal{RejectReason::bad_payload,
                     "payload is neither a number nor a JSON object: it begins with " +
                         printable(text.substr(0, 16), 40)};
    if (!std::isfinite(v)) return Refusal{RejectReason::not_finite, "value is not finite"};
    return PayloadFields{v, std::nullopt, std::nullopt};
  }

  // The text starts with '{' and the parse is strict (nothing may follow the object), so a
  // successful parse means one JSON object.
  enum { kMetric, kValue, kTimestamp, kSensorId };
  FieldCollector<4> collector({metric, "value", "timestamp", "sensor_id"});
  if (!collect(text, collector)) return Refusal{RejectReason::bad_payload, "invalid JSON"};
  auto& fields = collector.fields;

  using Kind = Field::Kind;
  const Field* found = &fields[kMetric];
  std::string_view key = metric;
  if (found->kind == Kind::absent) {
    found = &fields[kValue];
    key = "value";
  }
  if (found->kind == Kind::absent)
    return Refusal{RejectReason::bad_payload,
                   "JSON object has neither \"" + std::string(metric) + "\" nor \"value\""};
  if (found->kind != Kind::number)
    return Refusal{RejectReason::bad_payload,
                   "\"" + printable(key, 64) + "\" is " + kind_name(found->kind) +
                       ", not a number" +
                       (found->kind == Kind::string ? " (write 22.5, not \"22.5\")" : "")};
  PayloadFields out;
  out.value = found->number;
  if (!std::isfinite(out.value)) return Refusal{RejectReason::not_finite, "value is not finite"};

  const Field& timestamp = fields[kTimestamp];
  switch (timestamp.kind) {
    case Kind::absent:
    case Kind::null:
      break;
    case Kind::string:
      out.ts = parse_timestamp_text(timestamp.text);
      if (!out.ts)
        return Refusal{RejectReason::bad_timestamp, "timestamp is not RFC 3339 with an offset"};
      break;
    case Kind::number:
      out.ts = epoch_number_to_micros(timestamp.number);
      if (!out.ts)
        return Refusal{RejectReason::bad_timestamp,
                       "timestamp is not epoch seconds or milliseconds between 1970 and 9999"};
      break;
    case Kind::other:
      return Refusal{RejectReason::bad_timestamp,
                     "timestamp must be RFC 3339 text or epoch seconds"};
  }

  Field& sensor_id = fields[kSensorId];
  if (sensor_id.kind != Kind::absent && sensor_id.kind != Kind::null) {
    if (sensor_id.kind != Kind::string || !valid_id(sensor_id.text))
      return Refusal{RejectReason::bad_id, std::string(kBadSensorIdDetail)};
    out.sensor_id = std::move(sensor_id.text);
  }
  return out;
}

std::variant<PayloadFields, Refusal> parse_payload(std::string_view payload,
                                                   std::string_view metric) {
  if (auto too_large = check_payload_size(payload)) return std::move(*too_large);
  return read_payload(payload, metric);
}

std::variant<SensorTopic, Refusal> read_posted_address(std::string_view item,
                                                       std::string_view default_metric) {
  // Only an object names where it belongs: a bare number, a sensor payload's other form, does not.
  if (!item.starts_with('{'))
    return Refusal{RejectReason::bad_payload, "item is not a JSON object"};
  enum { kBuilding, kRoom, kMetric };
  FieldCollector<3> collector({"building_id", "room_id", "metric"});
  if (!collect(item, collector)) return Refusal{RejectReason::bad_payload, "invalid JSON"};
  auto& fields = collector.fields;
  using Kind = Field::Kind;
  if (fields[kBuilding].kind != Kind::string)
    return Refusal{RejectReason::bad_id, "building_id (a string) is required"};
  if (fields[kRoom].kind != Kind::string)
    return Refusal{RejectReason::bad_id, "room_id (a string) is required"};
  SensorTopic where{std::move(fields[kBuilding].text), std::move(fields[kRoom].text),
                    std::string(default_metric)};
  if (fields[kMetric].kind != Kind::absent) {
    if (fields[kMetric].kind != Kind::string)
      return Refusal{RejectReason::unknown_metric, "metric must be a string"};
    where.metric = std::move(fields[kMetric].text);
  }
  if (auto bad = check_address(where.building, where.room, where.metric)) return std::move(*bad);
  return where;
}

}  // namespace roomtemp

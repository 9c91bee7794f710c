#include "payload.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "topic.h"

namespace roomtemp {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool fail(Refusal& r, RejectReason reason, std::string detail) {
  r.reason = reason;
  r.detail = std::move(detail);
  return false;
}

// A bare number, strictly: the whole text must be the number.
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

/// The top-level fields a reading needs, collected while nlohmann's SAX parser reads the
/// object: no document is built (the DOM parse was the larger part of a reading's CPU).
/// Like the DOM, a key given twice counts with its last value.
class FieldCollector final : public nlohmann::json_sax<nlohmann::json> {
 public:
  enum class Kind { absent, null, number, string, other };
  struct Field {
    Kind kind = Kind::absent;
    double number = 0;
    std::string text;
  };
  enum : unsigned { kMetric = 1, kValue = 2, kTimestamp = 4, kSensorId = 8 };

  explicit FieldCollector(std::string_view metric) : metric_name_(metric) {}

  Field metric, value, timestamp, sensor_id;

  bool null() override { return scalar(Kind::null, 0, nullptr); }
  bool boolean(bool) override { return scalar(Kind::other, 0, nullptr); }
  bool number_integer(number_integer_t v) override {
    return scalar(Kind::number, static_cast<double>(v), nullptr);
  }
  bool number_unsigned(number_unsigned_t v) override {
    return scalar(Kind::number, static_cast<double>(v), nullptr);
  }
  bool number_float(number_float_t v, const string_t&) override {
    return scalar(Kind::number, v, nullptr);
  }
  bool string(string_t& v) override { return scalar(Kind::string, 0, &v); }
  bool binary(binary_t&) override { return scalar(Kind::other, 0, nullptr); }
  bool start_object(std::size_t) override { return open(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1)
      wanted_ = (k == metric_name_ ? kMetric : 0u) | (k == "value" ? kValue : 0u) |
                (k == "timestamp" ? kTimestamp : 0u) | (k == "sensor_id" ? kSensorId : 0u);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  void set(Kind kind, double number, const std::string* text) {
    for (auto [bit, field] :
         {std::pair{kMetric, &metric}, std::pair{kValue, &value}, std::pair{kTimestamp, &timestamp},
          std::pair{kSensorId, &sensor_id}}) {
      if (!(wanted_ & bit)) continue;
      field->kind = kind;
      field->number = number;
      if (text) field->text = *text;
    }
    wanted_ = 0;
  }
  bool scalar(Kind kind, double number, const std::string* text) {
    if (depth_ == 1) set(kind, number, text);
    return true;
  }
  bool open() {
    if (depth_ == 1) set(Kind::other, 0, nullptr);  // a nested object or array as a field value
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  std::string_view metric_name_;
  int depth_ = 0;
  unsigned wanted_ = 0;
};

/// How a refusal names what a field held instead of a number.
const char* kind_name(FieldCollector::Kind kind) {
  switch (kind) {
    case FieldCollector::Kind::null:
      return "null";
    case FieldCollector::Kind::string:
      return "a string";
    case FieldCollector::Kind::other:
      return "not a single value";
    case FieldCollector::Kind::absent:
    case FieldCollector::Kind::number:
      break;
  }
  return "something else";
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

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

bool parse_payload(std::string_view payload, std::string_view metric, PayloadFields& out,
                   Refusal& refusal) {
  if (payload.size() > kMaxPayloadBytes)
    return fail(refusal, RejectReason::too_large,
                "payload of " + std::to_string(payload.size()) + " bytes exceeds 4096");
  std::string_view text = payload;
  // Some sensors (and editors that wrote a test payload) start UTF-8 text with a byte order
  // mark; JSON and numbers never begin with one, so it is skipped rather than refused.
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  text = trim(text);
  if (text.empty()) return fail(refusal, RejectReason::bad_payload, "empty payload");

  if (text.front() != '{') {
    double v;
    if (!parse_bare_number(text, v))
      return fail(refusal, RejectReason::bad_payload,
                  "payload is neither a number nor a JSON object: it begins with " +
                      printable(text.substr(0, 16), 40));
    if (!std::isfinite(v)) return fail(refusal, RejectReason::not_finite, "value is not finite");
    out = PayloadFields{v, std::nullopt, std::nullopt};
    return true;
  }

  // The text starts with '{' and the parse is strict (nothing may follow the object), so a
  // successful parse means one JSON object.
  FieldCollector fields(metric);
  if (!nlohmann::json::sax_parse(text, &fields, nlohmann::json::input_format_t::json, true))
    return fail(refusal, RejectReason::bad_payload, "invalid JSON");

  using Kind = FieldCollector::Kind;
  const FieldCollector::Field* found = &fields.metric;
  std::string_view key = metric;
  if (found->kind == Kind::absent) {
    found = &fields.value;
    key = "value";
  }
  if (found->kind == Kind::absent)
    return fail(refusal, RejectReason::bad_payload,
                "JSON object has neither \"" + std::string(metric) + "\" nor \"value\"");
  if (found->kind != Kind::number)
    return fail(refusal, RejectReason::bad_payload,
                "\"" + printable(key, 64) + "\" is " + kind_name(found->kind) + ", not a number" +
                    (found->kind == Kind::string ? " (write 22.5, not \"22.5\")" : ""));
  out.value = found->number;
  if (!std::isfinite(out.value))
    return fail(refusal, RejectReason::not_finite, "value is not finite");

  out.ts.reset();
  switch (fields.timestamp.kind) {
    case Kind::absent:
    case Kind::null:
      break;
    case Kind::string:
      out.ts = parse_timestamp_text(fields.timestamp.text);
      if (!out.ts)
        return fail(refusal, RejectReason::bad_timestamp,
                    "timestamp is not RFC 3339 with an offset");
      break;
    case Kind::number:
      out.ts = epoch_number_to_micros(fields.timestamp.number);
      if (!out.ts)
        return fail(refusal, RejectReason::bad_timestamp,
                    "timestamp is not epoch seconds or milliseconds between 1970 and 9999");
      break;
    case Kind::other:
      return fail(refusal, RejectReason::bad_timestamp,
                  "timestamp must be RFC 3339 text or epoch seconds");
  }

  out.sensor_id.reset();
  if (fields.sensor_id.kind != Kind::absent && fields.sensor_id.kind != Kind::null) {
    if (fields.sensor_id.kind != Kind::string || !valid_id(fields.sensor_id.text))
      return fail(refusal, RejectReason::bad_id,
                  "sensor_id must be 1-64 characters of A-Z a-z 0-9 _ - .");
    out.sensor_id = std::move(fields.sensor_id.text);
  }
  return true;
}

}  // namespace roomtemp

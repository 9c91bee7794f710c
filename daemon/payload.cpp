#include "payload.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

#include "topic.h"

namespace roomtemp {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
                        s.back() == '\r'))
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

}  // namespace

std::optional<Micros> parse_timestamp_text(std::string_view text) { return parse_rfc3339(text); }

std::optional<Micros> epoch_seconds_to_micros(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0) return std::nullopt;
  return static_cast<Micros>(std::llround(seconds * 1e6));
}

bool parse_payload(std::string_view payload, std::string_view metric, PayloadFields& out,
                   Refusal& refusal) {
  if (payload.size() > kMaxPayloadBytes)
    return fail(refusal, RejectReason::too_large,
                "payload of " + std::to_string(payload.size()) + " bytes exceeds 4096");
  std::string_view text = trim(payload);
  if (text.empty()) return fail(refusal, RejectReason::bad_payload, "empty payload");

  if (text.front() != '{') {
    double v;
    if (!parse_bare_number(text, v))
      return fail(refusal, RejectReason::bad_payload,
                  "payload is neither a number nor a JSON object");
    if (!std::isfinite(v)) return fail(refusal, RejectReason::not_finite, "value is not finite");
    out = PayloadFields{v, std::nullopt, std::nullopt};
    return true;
  }

  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return fail(refusal, RejectReason::bad_payload, "invalid JSON");

  auto it = doc.find(std::string(metric));
  const char* key = "metric";
  if (it == doc.end()) {
    it = doc.find("value");
    key = "value";
  }
  if (it == doc.end())
    return fail(refusal, RejectReason::bad_payload,
                "JSON object has neither \"" + std::string(metric) + "\" nor \"value\"");
  if (!it->is_number())
    return fail(refusal, RejectReason::bad_payload,
                std::string("the ") + key + " is not a number");
  out.value = it->get<double>();
  if (!std::isfinite(out.value))
    return fail(refusal, RejectReason::not_finite, "value is not finite");

  out.ts.reset();
  if (auto ts = doc.find("timestamp"); ts != doc.end() && !ts->is_null()) {
    if (ts->is_string()) {
      out.ts = parse_timestamp_text(ts->get_ref<const std::string&>());
      if (!out.ts)
        return fail(refusal, RejectReason::bad_timestamp,
                    "timestamp is not RFC 3339 with an offset");
    } else if (ts->is_number()) {
      out.ts = epoch_seconds_to_micros(ts->get<double>());
      if (!out.ts)
        return fail(refusal, RejectReason::bad_timestamp,
                    "timestamp is not a number of seconds between 1970 and 9999");
    } else {
      return fail(refusal, RejectReason::bad_timestamp,
                  "timestamp must be RFC 3339 text or epoch seconds");
    }
  }

  out.sensor_id.reset();
  if (auto sid = doc.find("sensor_id"); sid != doc.end() && !sid->is_null()) {
    if (!sid->is_string() || !valid_id(sid->get_ref<const std::string&>()))
      return fail(refusal, RejectReason::bad_id,
                  "sensor_id must be 1-64 characters of A-Z a-z 0-9 _ - .");
    out.sensor_id = sid->get<std::string>();
  }
  return true;
}

}  // namespace roomtemp

#include "rest_params.h"

#include <httplib.h>

#include <charconv>
#include <cmath>

#include "payload.h"
#include "topic.h"

namespace roomtemp::params {

std::optional<std::string> optional(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

std::string required(const httplib::Request& req, const char* name) {
  auto v = optional(req, name);
  if (!v || v->empty()) throw BadRequest(std::string("missing parameter '") + name + "'");
  return *v;
}

namespace {
Micros parse_time(const std::string& text, const char* name) {
  if (auto t = parse_rfc3339(text)) return *t;
  double seconds;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc{} && ptr == text.data() + text.size()) {
    if (auto t = epoch_seconds_to_micros(seconds)) return *t;
  }
  throw BadRequest(std::string("parameter '") + name + "': '" + text.substr(0, 64) +
                   "' is not an RFC 3339 time (2026-11-22T12:00:00Z) or epoch seconds");
}

Duration parse_dur(const std::string& text, const char* name) {
  auto d = parse_duration(text);
  if (!d || d->count() <= 0)
    throw BadRequest(std::string("parameter '") + name + "': '" + text.substr(0, 64) +
                     "' is not a duration like 1m, 15m, 1h");
  return *d;
}
}  // namespace

Micros time(const httplib::Request& req, const char* name) {
  return parse_time(required(req, name), name);
}

std::optional<Micros> optional_time(const httplib::Request& req, const char* name) {
  auto v = optional(req, name);
  if (!v) return std::nullopt;
  return parse_time(*v, name);
}

Duration duration(const httplib::Request& req, const char* name) {
  return parse_dur(required(req, name), name);
}

std::optional<Duration> optional_duration(const httplib::Request& req, const char* name) {
  auto v = optional(req, name);
  if (!v) return std::nullopt;
  return parse_dur(*v, name);
}

std::int64_t integer(const httplib::Request& req, const char* name, std::int64_t fallback,
                     std::int64_t lo, std::int64_t hi) {
  auto v = optional(req, name);
  if (!v) return fallback;
  std::int64_t n;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || ptr != v->data() + v->size())
    throw BadRequest(std::string("parameter '") + name + "': '" + v->substr(0, 64) +
                     "' is not an integer");
  if (n < lo || n > hi)
    throw BadRequest(std::string("parameter '") + name + "' must be between " + std::to_string(lo) +
                     " and " + std::to_string(hi));
  return n;
}

std::string id(const std::string& value, const char* what) {
  if (!valid_id(value))
    throw BadRequest(std::string("bad ") + what + " id: 1-64 characters of A-Z a-z 0-9 _ - .");
  return value;
}

}  // namespace roomtemp::params

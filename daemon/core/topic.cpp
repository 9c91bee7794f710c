#include "topic.h"

#include <algorithm>
#include <array>
#include <vector>

namespace roomtemp {

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {

// Topics we understand have at most this many levels; a hostile one may have 65535, and
// splitting all of them for every message would be work for nothing.
constexpr std::size_t kMaxLevels = 7;

// The levels of a topic, but no more than kMaxLevels + 1 (enough to tell "too many"): a
// fixed array, as every MQTT message is split (twice) on its way in.
class Levels {
 public:
  std::size_t size() const { return count_; }
  std::string_view operator[](std::size_t i) const { return at_[i]; }
  bool full() const { return count_ == at_.size(); }
  void push_back(std::string_view level) { at_[count_++] = level; }

 private:
  std::array<std::string_view, kMaxLevels + 1> at_;
  std::size_t count_ = 0;
};

Levels split_levels(std::string_view topic) {
  Levels levels;
  size_t start = 0;
  while (!levels.full()) {
    size_t slash = topic.find('/', start);
    levels.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return levels;
}

// The length of the UTF-8 character `s` starts with (1-4), or 0 when its bytes are not one:
// overlong forms, surrogates and code points past U+10FFFF are not, for PostgreSQL either.
std::size_t utf8_length(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned c = byte(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  return n;
}

// Copies `text` character by character, writing bytes that are not UTF-8, NUL, and with
// `controls` every control character and DEL as \xNN, until the next one would take the copy
// past `max_bytes`. `consumed` gets how much of `text` went in.
std::string escape_text(std::string_view text, std::size_t max_bytes, bool controls,
                        std::size_t& consumed) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = utf8_length(text.substr(i));
    const bool escape = n == 0 || c == 0 || (controls && (c < 0x20 || c == 0x7f));
    if (out.size() + (escape ? 4 : n) > max_bytes) break;
    if (escape) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      n = 1;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  consumed = i;
  return out;
}

}  // namespace

std::variant<SensorTopic, Refusal> parse_sensor_topic(std::string_view topic) {
  auto levels = split_levels(topic);
  if (levels.size() != 5 || levels[0] != "buildings" || levels[2] != "rooms")
    return Refusal{RejectReason::bad_topic,
                   "topic is not buildings/{building}/rooms/{room}/{metric}"};
  if (auto bad = check_address(levels[1], levels[3], levels[4])) return std::move(*bad);
  return SensorTopic{std::string(levels[1]), std::string(levels[3]), std::string(levels[4])};
}

std::optional<Refusal> check_address(std::string_view building, std::string_view room,
                                     std::string_view metric) {
  if (!valid_id(building)) return id_refusal("building", building);
  if (!valid_id(room)) return id_refusal("room", room);
  // Not a metric name we could ever have configured: unknown, like a valid name not configured.
  if (!valid_id(metric)) return metric_refusal(metric);
  return std::nullopt;
}

Refusal id_refusal(std::string_view what, std::string_view id) {
  return Refusal{RejectReason::bad_id, "bad " + std::string(what) + " id '" + printable(id) + "'"};
}

Refusal metric_refusal(std::string_view metric) {
  return Refusal{RejectReason::unknown_metric, "unknown metric '" + printable(metric) + "'"};
}

bool is_own_output_topic(std::string_view topic) {
  if (topic.substr(0, 9) == "roomtemp/") return true;
  auto levels = split_levels(topic);
  // buildings/{b}/rooms/{r}/{metric}/average/{window} and buildings/{b}/{metric}/average/{window}
  // …/{metric}/alarms/{name} and …/{metric}/status (README "Alarms and silent sensors").
  if (levels.size() == 7 && levels[0] == "buildings" && levels[2] == "rooms" &&
      (levels[5] == "average" || levels[5] == "alarms"))
    return true;
  if (levels.size() == 6 && levels[0] == "buildings" && levels[2] == "rooms" &&
      levels[5] == "status")
    return true;
  if (levels.size() == 5 && levels[0] == "buildings" && levels[2] != "rooms" &&
      levels[3] == "average")
    return true;
  return false;
}

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::size_t consumed = 0;
  std::string out = escape_text(text, max_bytes, true, consumed);
  if (consumed < text.size()) out += "…";
  return out;
}

std::string storable_text(std::string_view text, std::size_t max_bytes, bool* cut) {
  std::size_t consumed = 0;
  std::string out = escape_text(text, max_bytes, false, consumed);
  if (cut) *cut = consumed < text.size();
  return out;
}

std::string room_average_topic(std::string_view building, std::string_view room,
                               std::string_view metric, std::string_view window) {
  std::string t = "buildings/";
  t.append(building).append("/rooms/").append(room).append("/").append(metric);
  t.append("/average/").append(window);
  return t;
}

std::string room_alarm_topic(std::string_view building, std::string_view room,
                             std::string_view metric, std::string_view alarm) {
  std::string t = "buildings/";
  t.append(building).append("/rooms/").append(room).append("/").append(metric);
  t.append("/alarms/").append(alarm);
  return t;
}

std::string room_status_topic(std::string_view building, std::string_view room,
                              std::string_view metric) {
  std::string t = "buildings/";
  t.append(building).append("/rooms/").append(room).append("/").append(metric).append("/status");
  return t;
}

std::string building_average_topic(std::string_view building, std::string_view metric,
                                   std::string_view window) {
  std::string t = "buildings/";
  t.append(building).append("/").append(metric).append("/average/").append(window);
  return t;
}

}  // namespace roomtemp

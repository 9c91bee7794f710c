// The framing and encoding of the records the spool and the journal store: one Reading,
// Rejection or AlarmEvent per record, `u32 length | u32 crc32 | body`, little-endian.
#include "record.h"

#include <zlib.h>

#include <cstring>

namespace roomtemp {

std::uint32_t record_checksum(std::string_view body) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

namespace {

template <typename T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // little-endian hosts only (x86_64, arm64)
  out.append(buf, sizeof(T));
}

void put_str(std::string& out, const std::string& s) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  template <typename T>
  bool get(T& v) {
    if (pos_ + sizeof(T) > s_.size()) return false;
    std::memcpy(&v, s_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_str(std::string& v) {
    std::uint32_t n;
    if (!get(n) || pos_ + n > s_.size()) return false;
    v.assign(s_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

/// The rest of a type 4 record (an AlarmEvent) or of a type 5 one (an AlarmEvent with its
/// rule's threshold, window and definition).
std::optional<Inbound> decode_alarm_event(Cursor& c, bool with_rule) {
  AlarmEvent e;
  std::uint8_t has;
  if (!c.get(e.ts) || !c.get_str(e.building) || !c.get_str(e.room) || !c.get_str(e.metric) ||
      !c.get_str(e.alarm) || !c.get_str(e.state) || !c.get(has) || has > (with_rule ? 7 : 3))
    return std::nullopt;
  if (has & 1) {
    double v;
    if (!c.get(v)) return std::nullopt;
    e.value = v;
  }
  if (has & 2) {
    std::int64_t t;
    if (!c.get(t)) return std::nullopt;
    e.last_reading = t;
  }
  if (has & 4) {
    double threshold;
    std::int64_t window_ms;
    if (!c.get(threshold) || !c.get(window_ms)) return std::nullopt;
    e.threshold = threshold;
    e.window = Duration(window_ms);
  }
  if (with_rule && !c.get_str(e.rule)) return std::nullopt;
  if (!c.done()) return std::nullopt;
  return e;
}

}  // namespace

std::string encode_inbound(const Inbound& item) {
  std::string out;
  if (const auto* r = std::get_if<Reading>(&item)) {
    put<std::uint8_t>(out, 1);
    put<std::int64_t>(out, r->ts);
    put<std::int64_t>(out, r->received_at);
    put<double>(out, r->value);
    put_str(out, r->building);
    put_str(out, r->room);
    put_str(out, r->metric);
    put<std::uint8_t>(out, r->sensor_id ? 1 : 0);
    if (r->sensor_id) put_str(out, *r->sensor_id);
  } else if (const auto* e = std::get_if<AlarmEvent>(&item)) {
    const bool rule = e->threshold && e->window;
    put<std::uint8_t>(out, 5);
    put<std::int64_t>(out, e->ts);
    put_str(out, e->building);
    put_str(out, e->room);
    put_str(out, e->metric);
    put_str(out, e->alarm);
    put_str(out, e->state);
    put<std::uint8_t>(out, (e->value ? 1 : 0) | (e->last_reading ? 2 : 0) | (rule ? 4 : 0));
    if (e->value) put<double>(out, *e->value);
    if (e->last_reading) put<std::int64_t>(out, *e->last_reading);
    if (rule) {
      put<double>(out, *e->threshold);
      put<std::int64_t>(out, e->window->count());
    }
    put_str(out, e->rule);
  } else {
    const auto& j = std::get<Rejection>(item);
    put<std::uint8_t>(out, 3);
    put<std::uint64_t>(out, j.id);
    put<std::int64_t>(out, j.received_at);
    put<std::uint8_t>(out, static_cast<std::uint8_t>(j.reason));
    put_str(out, j.topic);
    put_str(out, j.payload);
    put_str(out, j.detail);
  }
  return out;
}

std::optional<Inbound> decode_inbound(std::string_view body) {
  Cursor c(body);
  std::uint8_t type;
  if (!c.get(type)) return std::nullopt;
  if (type == 1) {
    Reading r;
    std::uint8_t has_sensor;
    if (!c.get(r.ts) || !c.get(r.received_at) || !c.get(r.value) || !c.get_str(r.building) ||
        !c.get_str(r.room) || !c.get_str(r.metric) || !c.get(has_sensor))
      return std::nullopt;
    if (has_sensor) {
      std::string s;
      if (!c.get_str(s)) return std::nullopt;
      r.sensor_id = std::move(s);
    }
    if (!c.done()) return std::nullopt;
    return r;
  }
  if (type == 2 || type == 3) {
    // Type 2, from a spool written before rejections had ids, gets a fresh one.
    Rejection j;
    std::uint8_t reason;
    if (type == 2)
      j.id = new_rejection_id();
    else if (!c.get(j.id) || j.id == 0)
      return std::nullopt;
    if (!c.get(j.received_at) || !c.get(reason) || reason >= kRejectReasonCount ||
        !c.get_str(j.topic) || !c.get_str(j.payload) || !c.get_str(j.detail) || !c.done())
      return std::nullopt;
    j.reason = static_cast<RejectReason>(reason);
    return j;
  }
  if (type == 4 || type == 5) return decode_alarm_event(c, type == 5);
  return std::nullopt;
}

void append_record(std::string& out, const Inbound& item) {
  std::string body = encode_inbound(item);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(body.size()));
  put<std::uint32_t>(out, record_checksum(body));
  out += body;
}

}  // namespace roomtemp

#include "rows.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <tuple>

#include "messages.h"

namespace roomtemp {
namespace {

/// readings_raw's columns, in the order of the table (sql/004_narrow_readings.sql).
const std::vector<std::string> kRawColumns{"ts", "value", "received_at", "series", "sensor"};

/// bytea in COPY's text form.
std::string hex_bytes(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

Reading reading_from_row(const pqxx::row& row) {
  Reading r;
  r.building = row[0].as<std::string>();
  r.room = row[1].as<std::string>();
  r.metric = row[2].as<std::string>();
  r.ts = row[3].as<std::int64_t>();
  r.value = row[4].as<double>();
  if (!row[5].is_null()) r.sensor_id = row[5].as<std::string>();
  r.received_at = row[6].as<std::int64_t>();
  return r;
}

std::string float_text(double v) {
  // The shortest text that reads back as exactly this double (PostgreSQL's float8 input is
  // exact), several times cheaper than printf's %.17g.
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

void copy_readings(pqxx::transaction_base& txn, const char* table,
                   const std::vector<Inbound>& batch, const std::vector<RowIds>& ids) {
  // Rows go in sorted by the unique key (series, sensor, ts): the readings of a series then
  // follow each other into the same page of its btree instead of jumping between a thousand
  // series' pages, which takes about a fifth off PostgreSQL's CPU per row (bench/run, storage).
  struct Row {
    const Reading* reading;
    RowIds id;
  };
  std::vector<Row> rows;
  rows.reserve(ids.size());
  for (const auto& item : batch)
    if (const auto* r = std::get_if<Reading>(&item)) rows.push_back({r, ids.at(rows.size())});
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.id.series, a.id.sensor, a.reading->ts) <
           std::tie(b.id.series, b.id.sensor, b.reading->ts);
  });
  pqxx::stream_to copy(txn, table, kRawColumns);
  for (const Row& row : rows) {
    const Reading& r = *row.reading;
    copy << std::make_tuple(format_rfc3339(r.ts), float_text(r.value),
                            format_rfc3339(r.received_at), row.id.series, row.id.sensor);
  }
  copy.complete();
}

void copy_rejections(pqxx::transaction_base& txn, const char* table,
                     const std::vector<Inbound>& batch) {
  pqxx::stream_to copy(
      txn, table,
      std::vector<std::string>{"received_at", "topic", "payload", "reason", "detail", "id"});
  for (const auto& item : batch) {
    if (const auto* j = std::get_if<Rejection>(&item)) {
      // bigint is signed: the id's 64 bits as they are.
      copy << std::make_tuple(format_rfc3339(j->received_at), j->topic, hex_bytes(j->payload),
                              std::string(reason_name(j->reason)), j->detail,
                              static_cast<std::int64_t>(j->id));
    }
  }
  copy.complete();
}

void copy_alarm_events(pqxx::transaction_base& txn, const char* table,
                       const std::vector<Inbound>& batch) {
  pqxx::stream_to copy(
      txn, table,
      std::vector<std::string>{"n", "ts", "building", "room", "metric", "alarm", "state", "value",
                               "last_reading", "threshold", "window_length", "rule"});
  long long n = 0;
  for (const auto& item : batch) {
    if (const auto* e = std::get_if<AlarmEvent>(&item)) {
      const std::optional<std::string> value =
          e->value ? std::optional<std::string>(float_text(*e->value)) : std::nullopt;
      const std::optional<std::string> last =
          e->last_reading ? std::optional<std::string>(format_rfc3339(*e->last_reading))
                          : std::nullopt;
      const std::optional<std::string> threshold =
          e->threshold ? std::optional<std::string>(float_text(*e->threshold)) : std::nullopt;
      const std::optional<std::string> window =
          e->window ? std::optional<std::string>(std::to_string(e->window->count()) + " ms")
                    : std::nullopt;
      const std::optional<std::string> rule =
          e->rule.empty() ? std::nullopt : std::optional<std::string>(e->rule);
      copy << std::make_tuple(n++, format_rfc3339(e->ts), e->building, e->room, e->metric, e->alarm,
                              e->state, value, last, threshold, window, rule);
    }
  }
  copy.complete();
}

std::uint64_t refused_reading_id(const Reading& r) {
  // FNV-1a over the reading's identity (the readings' unique key), each part ended by a byte
  // no id contains: the same reading refused again gives the same id.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view part) {
    for (unsigned char c : part) h = (h ^ c) * 0x100000001b3ULL;
    h = (h ^ 0x1f) * 0x100000001b3ULL;
  };
  mix(r.building);
  mix(r.room);
  mix(r.metric);
  mix(r.sensor_id ? *r.sensor_id : std::string_view("\x01"));
  mix(std::to_string(r.ts));
  return h == 0 ? 1 : h;
}

std::string reading_json(const Reading& r) {
  nlohmann::ordered_json doc;
  doc["building_id"] = r.building;
  doc["room_id"] = r.room;
  doc["metric"] = r.metric;
  doc["value"] = r.value;
  doc["timestamp"] = format_rfc3339(r.ts);
  if (r.sensor_id) doc["sensor_id"] = *r.sensor_id;
  return json_text(doc);
}

}  // namespace roomtemp

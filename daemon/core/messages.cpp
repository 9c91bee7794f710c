#include "messages.h"

#include <nlohmann/json.hpp>

namespace roomtemp {

std::string average_json(const SeriesKey& key, Duration window, const WindowStats& s) {
  nlohmann::ordered_json doc;
  doc["building"] = key.building;
  if (!key.room.empty()) doc["room"] = key.room;
  doc["metric"] = key.metric;
  doc["window"] = format_duration(window);
  if (s.count > 0) {
    // + 0.0 turns a negative zero (from a database written before readings were normalized)
    // into 0: "-0.0" is not a temperature anybody measured.
    doc["avg"] = s.avg() + 0.0;
    doc["min"] = s.min + 0.0;
    doc["max"] = s.max + 0.0;
  } else {
    doc["avg"] = nullptr;
    doc["min"] = nullptr;
    doc["max"] = nullptr;
  }
  doc["count"] = s.count;
  doc["from"] = format_rfc3339(s.from);
  doc["to"] = format_rfc3339(s.to);
  return doc.dump();
}

std::string rejection_json(const Rejection& j) {
  nlohmann::json doc = {{"topic", j.topic},
                        {"payload", j.payload},
                        {"reason", reason_name(j.reason)},
                        {"detail", j.detail},
                        {"received_at", format_rfc3339(j.received_at)}};
  return json_text(doc);
}

std::string json_text(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_text(const nlohmann::ordered_json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace roomtemp

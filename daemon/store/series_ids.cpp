#include "series_ids.h"

#include <pqxx/pqxx>
#include <stdexcept>
#include <unordered_set>

namespace roomtemp {
namespace {

/// How often a lookup is repeated for ids that another session created while it ran (its
/// INSERT skipped them, and its snapshot did not show them yet).
constexpr int kLookupAttempts = 3;

std::string series_key(const Reading& r) {
  std::string key;
  key.reserve(r.building.size() + r.room.size() + r.metric.size() + 2);
  key.append(r.building).push_back('\0');
  key.append(r.room).push_back('\0');
  key.append(r.metric);
  return key;
}

}  // namespace

std::string text_array(const std::vector<std::string_view>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

void SeriesIds::clear() {
  series_.clear();
  sensors_.clear();
}

void SeriesIds::fetch_series(pqxx::connection& conn, const std::vector<const Reading*>& missing) {
  std::vector<std::string_view> buildings, rooms, metrics;
  for (const Reading* r : missing) {
    buildings.push_back(r->building);
    rooms.push_back(r->room);
    metrics.push_back(r->metric);
  }
  for (int attempt = 0; attempt < kLookupAttempts; ++attempt) {
    pqxx::work txn(conn);
    // Sorted inserts, so two sessions adding the same new series cannot deadlock; only keys
    // not stored yet are inserted, so that a restart does not use up identity values.
    const pqxx::result rows = txn.exec_params(
        "WITH k AS (SELECT DISTINCT * FROM unnest($1::text[], $2::text[], $3::text[])"
        "            AS k(building, room, metric)),"
        " added AS (INSERT INTO series (building, room, metric)"
        "           SELECT building, room, metric FROM k WHERE NOT EXISTS (SELECT 1 FROM series s"
        "            WHERE s.building = k.building AND s.room = k.room AND s.metric = k.metric)"
        "           ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING RETURNING id, building, room, metric)"
        " SELECT id, building, room, metric FROM added UNION ALL"
        " SELECT s.id, s.building, s.room, s.metric FROM series s JOIN k USING (building, room,"
        " metric)",
        text_array(buildings), text_array(rooms), text_array(metrics));
    txn.commit();
    for (const auto& row : rows) {
      Reading key;
      key.building = row[1].as<std::string>();
      key.room = row[2].as<std::string>();
      key.metric = row[3].as<std::string>();
      series_[series_key(key)] = row[0].as<std::int32_t>();
    }
    if (rows.size() >= buildings.size()) return;
  }
}

void SeriesIds::fetch_sensors(pqxx::connection& conn, const std::vector<std::string>& missing) {
  std::vector<std::string_view> names(missing.begin(), missing.end());
  for (int attempt = 0; attempt < kLookupAttempts; ++attempt) {
    pqxx::work txn(conn);
    const pqxx::result rows = txn.exec_params(
        "WITH k AS (SELECT DISTINCT name FROM unnest($1::text[]) AS k(name)),"
        " added AS (INSERT INTO sensors (name) SELECT name FROM k WHERE NOT EXISTS"
        "           (SELECT 1 FROM sensors s WHERE s.name = k.name)"
        "           ORDER BY 1 ON CONFLICT DO NOTHING RETURNING id, name)"
        " SELECT id, name FROM added UNION ALL"
        " SELECT s.id, s.name FROM sensors s JOIN k USING (name)",
        text_array(names));
    txn.commit();
    for (const auto& row : rows) sensors_[row[1].as<std::string>()] = row[0].as<std::int32_t>();
    if (rows.size() >= names.size()) return;
  }
}

std::vector<RowIds> SeriesIds::resolve(pqxx::connection& conn, const std::vector<Inbound>& batch) {
  // First pass: what the cache lacks (each once).
  std::vector<const Reading*> new_series;
  std::vector<std::string> new_sensors;
  {
    std::unordered_set<std::string> asked_series, asked_sensors;
    for (const auto& item : batch) {
      const auto* r = std::get_if<Reading>(&item);
      if (!r) continue;
      std::string key = series_key(*r);
      if (!series_.contains(key) && asked_series.insert(std::move(key)).second)
        new_series.push_back(r);
      if (r->sensor_id && !sensors_.contains(*r->sensor_id) &&
          asked_sensors.insert(*r->sensor_id).second)
        new_sensors.push_back(*r->sensor_id);
    }
  }
  if (!new_series.empty()) fetch_series(conn, new_series);
  if (!new_sensors.empty()) fetch_sensors(conn, new_sensors);

  std::vector<RowIds> ids;
  ids.reserve(batch.size());
  for (const auto& item : batch) {
    const auto* r = std::get_if<Reading>(&item);
    if (!r) continue;
    RowIds row;
    const auto s = series_.find(series_key(*r));
    if (s == series_.end())
      throw std::runtime_error("no series id for " + r->building + "/" + r->room + "/" + r->metric);
    row.series = s->second;
    if (r->sensor_id) {
      const auto n = sensors_.find(*r->sensor_id);
      if (n == sensors_.end()) throw std::runtime_error("no sensor id for " + *r->sensor_id);
      row.sensor = n->second;
    }
    ids.push_back(row);
  }
  return ids;
}

}  // namespace roomtemp

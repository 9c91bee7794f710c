#include "harness/sql_checks.h"

#include <regex>
#include <stdexcept>

namespace roomtemp::harness {

std::string time_literal(const nlohmann::json& v) {
  static const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z)");
  if (!v.is_string() || !std::regex_match(v.get<std::string>(), shape))
    throw std::runtime_error("not an RFC 3339 UTC time: " + v.dump());
  return "'" + v.get<std::string>() + "'::timestamptz";
}

std::string quoted_id(const std::string& id) {
  static const std::regex shape(R"([A-Za-z0-9_.\-]{1,64})");
  if (!std::regex_match(id, shape)) throw std::runtime_error("bad id " + id);
  return "'" + id + "'";
}

SqlStats sql_over(const Postgres& pg, const std::string& db, const std::string& building,
                  const std::string& room, const std::string& metric, const nlohmann::json& from,
                  const nlohmann::json& to) {
  std::string sql =
      "SELECT avg(value), min(value), max(value), count(*) FROM readings WHERE building = " +
      quoted_id(building) + " AND metric = " + quoted_id(metric);
  if (!room.empty()) sql += " AND room = " + quoted_id(room);
  sql += " AND ts >= " + time_literal(from) + " AND ts < " + time_literal(to);
  const Rows rows = pg.query(sql, db);
  if (rows.size() != 1) throw std::runtime_error("no row from " + sql);
  return {rows[0][0], rows[0][1], rows[0][2], std::stoll(rows[0][3])};
}

}  // namespace roomtemp::harness

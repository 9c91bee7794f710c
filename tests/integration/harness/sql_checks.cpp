#include "harness/sql_checks.h"

#include <gtest/gtest.h>

#include <cmath>
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

bool close_relative(double a, double b, double rel) {
  if (b == 0) return std::abs(a) <= 1e-12;
  return std::abs(a - b) <= rel * std::abs(b);
}

void expect_equals_sql(const nlohmann::json& doc, const SqlStats& sql, const std::string& what,
                       const char* avg, const char* min, const char* max) {
  SCOPED_TRACE(what + " " + doc.dump());
  ASSERT_TRUE(doc.contains("count") && doc["count"].is_number_integer());
  EXPECT_EQ(doc["count"].get<long long>(), sql.count);
  if (sql.count == 0) {
    EXPECT_TRUE(doc.at(avg).is_null());
    EXPECT_TRUE(doc.at(min).is_null());
    EXPECT_TRUE(doc.at(max).is_null());
    return;
  }
  ASSERT_TRUE(doc.at(avg).is_number() && doc.at(min).is_number() && doc.at(max).is_number());
  EXPECT_TRUE(close_relative(doc[avg].get<double>(), std::stod(sql.avg)))
      << avg << " " << doc[avg].get<double>() << " vs SQL " << sql.avg;
  EXPECT_EQ(doc[min].get<double>(), std::stod(sql.min)) << "SQL min " << sql.min;
  EXPECT_EQ(doc[max].get<double>(), std::stod(sql.max)) << "SQL max " << sql.max;
}

}  // namespace roomtemp::harness

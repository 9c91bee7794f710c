#pragma once
// What a test compares roomtempd's numbers with: the same question asked of PostgreSQL in SQL
// (the README's "Topics and payloads": an average over [from, to) is exactly this query).
#include <nlohmann/json.hpp>
#include <string>

#include "harness/postgres.h"

namespace roomtemp::harness {

/// A time as roomtempd prints it (RFC 3339, UTC), checked before it goes into SQL text.
std::string time_literal(const nlohmann::json& v);

/// An id, checked to be one before it goes into SQL text, quoted.
std::string quoted_id(const std::string& id);

/// avg, min and max as PostgreSQL prints them; count.
struct SqlStats {
  std::string avg, min, max;
  long long count = 0;
};

/// count, avg, min and max of `metric` over [from, to) for a building (room empty) or a room.
SqlStats sql_over(const Postgres& pg, const std::string& db, const std::string& building,
                  const std::string& room, const std::string& metric, const nlohmann::json& from,
                  const nlohmann::json& to);

/// True when `a` is within `rel` of `b`, relatively (1e-9: what the README promises of avg).
bool close_relative(double a, double b, double rel = 1e-9);

/// The numbers of an average (a published message or a live answer, whose field names may be
/// given) equal SQL's: count exactly, min and max exactly, avg to 1e-9; null when SQL counts
/// none. `what` names the comparison in a failure.
void expect_equals_sql(const nlohmann::json& doc, const SqlStats& sql, const std::string& what = "",
                       const char* avg = "avg", const char* min = "min", const char* max = "max");

}  // namespace roomtemp::harness

#pragma once
#include <pqxx/connection>
#include <string>
#include <string_view>
#include <vector>

namespace roomtemp {

/// One numbered SQL file of sql/, compiled into the binary.
struct Migration {
  std::string name;  ///< e.g. "001_readings.sql"; also its key in schema_migrations
  std::string sql;
};

/// All of sql/*.sql in order (generated at build time).
const std::vector<Migration>& embedded_migrations();

/// Applies the migrations the database lacks, each in its own transaction and recorded in
/// schema_migrations, under an advisory lock so two daemons cannot race. Returns the names
/// applied. `through` (a migration's name) stops after that one: a database as an older release
/// left it, for the benchmarks and the tests of a migration. Throws pqxx exceptions on failure.
std::vector<std::string> apply_migrations(pqxx::connection& conn, std::string_view through = {});

/// The embedded migrations the database has not applied (all of them when it has none).
std::vector<std::string> missing_migrations(pqxx::connection& conn);

}  // namespace roomtemp

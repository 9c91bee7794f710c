#include "migrate.h"

#include <pqxx/pqxx>

namespace roomtemp {

namespace {
// Arbitrary constant naming roomtemp's advisory lock ("rt" in ASCII, then a tag).
constexpr long long kMigrationLock = 0x72740001;
}  // namespace

std::vector<std::string> apply_migrations(pqxx::connection& conn, std::string_view through) {
  std::vector<std::string> applied;
  pqxx::nontransaction setup(conn);
  setup.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  setup.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  setup.commit();
  try {
    for (const auto& m : embedded_migrations()) {
      if (!through.empty() && m.name > through) break;  // numbered: name order is their order
      pqxx::work txn(conn);
      auto done = txn.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.name);
      if (!done.empty()) continue;
      txn.exec(m.sql);
      txn.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)", m.name);
      txn.commit();
      applied.push_back(m.name);
    }
  } catch (...) {
    pqxx::nontransaction unlock(conn);
    unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    throw;
  }
  pqxx::nontransaction unlock(conn);
  unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
  return applied;
}

std::vector<std::string> missing_migrations(pqxx::connection& conn) {
  pqxx::read_transaction txn(conn);
  std::vector<std::string> missing;
  const bool table = !txn.exec("SELECT to_regclass('schema_migrations')")[0][0].is_null();
  for (const auto& m : embedded_migrations()) {
    if (!table ||
        txn.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.name).empty())
      missing.push_back(m.name);
  }
  return missing;
}

}  // namespace roomtemp

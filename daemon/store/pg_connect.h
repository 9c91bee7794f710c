#pragma once
#include <memory>
#include <pqxx/connection>
#include <string>

#include "config.h"

namespace roomtemp {

/// The libpq connection string with the password from `postgres.password_file` added when
/// one is configured (keyword/value DSNs; for URI DSNs the password goes to PGPASSWORD at
/// startup, see `prepare_postgres_environment`).
std::string effective_dsn(const PostgresConfig& pg);

/// For URI-style DSNs with a password_file: sets PGPASSWORD. Call before threads start.
void prepare_postgres_environment(const PostgresConfig& pg);

/// Opens a connection with a short connect timeout. Throws pqxx::broken_connection.
std::unique_ptr<pqxx::connection> pg_connect(const PostgresConfig& pg);

}  // namespace roomtemp

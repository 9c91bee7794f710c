#pragma once
#include "aggregator.h"
#include "config.h"

namespace roomtemp {

/// At start, before the network: applies the migrations the database lacks and loads the live
/// windows from it, telling systemd (STATUS=, EXTEND_TIMEOUT_USEC) since both can take
/// minutes on a large database. PostgreSQL not usable yet is logged, not fatal: the writer
/// migrates when it first connects, and readings wait in the spool meanwhile (the windows then
/// start empty). Returns whether the windows were warmed.
bool prepare_database(const Config& config, Aggregator& aggregator);

/// --migrate: applies the SQL the database lacks and says what it did. Returns the exit code.
int run_migrate(const Config& config);

}  // namespace roomtemp

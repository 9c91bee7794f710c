#include "database.h"

#include <cstdio>
#include <pqxx/pqxx>

#include "log.h"
#include "migrate.h"
#include "notify.h"
#include "partitions.h"
#include "pg_connect.h"
#include "warm_start.h"

namespace roomtemp {

bool prepare_database(const Config& config, Aggregator& aggregator) {
  auto log = component_log("main");
  try {
    auto conn = pg_connect(config.postgres);
    // A migration (an index built over every partition) or the warm start's queries can take
    // minutes on a large database: more than systemd's default 90 s start timeout.
    constexpr std::chrono::minutes kStartStepTime{10};
    if (config.postgres.migrate) {
      notify::status("applying database migrations");
      notify::extend_timeout(kStartStepTime);
      for (const auto& name : apply_migrations(*conn)) log->info("applied migration {}", name);
    }
    ensure_partitions(*conn);
    notify::status("loading the live windows from PostgreSQL");
    notify::extend_timeout(kStartStepTime);
    warm_aggregator(*conn, config, aggregator);
    return true;
  } catch (const std::exception& e) {
    // Not there yet (a boot race, a database still to be created) or not migrated while
    // postgres.migrate is off: the writer keeps trying, migrates when it can, /readyz says
    // why meanwhile, and readings wait in the spool. The live windows then start empty.
    log->warn("PostgreSQL not usable at start ({}); readings will wait in the spool",
              one_line(e.what()));
    return false;
  }
}

int run_migrate(const Config& config) {
  prepare_postgres_environment(config.postgres);
  auto conn = pg_connect(config.postgres);
  auto applied = apply_migrations(*conn);
  ensure_partitions(*conn);
  if (applied.empty()) std::printf("database is up to date\n");
  for (const auto& name : applied) std::printf("applied %s\n", name.c_str());
  return 0;
}

}  // namespace roomtemp

// roomtempd: MQTT room temperatures into PostgreSQL, with rolling averages over MQTT and REST.
// The story of a start: arguments → configuration → logging → spool and database → threads →
// READY=1 → the main loop until SIGTERM.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "config_file.h"
#include "daemon.h"
#include "database.h"
#include "log.h"
#include "pg_connect.h"
#include "signals.h"
#include "version.h"

namespace {

struct Options {
  std::string config_path = "/etc/roomtemp/roomtemp.yaml";
  bool check_config = false;
  bool migrate = false;
  bool version = false;
};

}  // namespace

int main(int argc, char** argv) try {
  using namespace roomtemp;
  // Signals are blocked before any thread exists, so the main loop alone receives them.
  SignalCatcher signals;

  Options o;
  CLI::App app{"roomtempd: MQTT temperature readings into PostgreSQL, with rolling averages"};
  app.add_option("-c,--config", o.config_path, "configuration file (YAML)")->capture_default_str();
  app.add_flag(
      "--check-config", o.check_config,
      "validate the configuration (and the files it names); exit 0 when valid, 2 when not");
  app.add_flag("--migrate", o.migrate, "apply database migrations and exit");
  app.add_flag("-V,--version", o.version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (o.version) {
    std::printf("roomtempd %s\n", ROOMTEMP_VERSION);
    return 0;
  }

  // Every configuration mistake ends here, with exit 2, before anything touches the network.
  const auto loaded = load_config(o.config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 2;
  }
  const Config& config = *loaded.config;
  if (o.check_config) {
    std::printf("%s: ok\n", o.config_path.c_str());
    return 0;
  }

  init_logging(config.log.level);
  try {
    if (o.migrate) return run_migrate(config);
    component_log("main")->info("roomtempd {} starting with {}", ROOMTEMP_VERSION, config.path);
    prepare_postgres_environment(config.postgres);
    Daemon daemon(config);
    daemon.prepare();            // spool, migrations, live windows from PostgreSQL
    daemon.start();              // writer, MQTT out, averages tick, MQTT in, HTTP
    return daemon.run(signals);  // READY=1 once subscribed; watchdog, STATUS=, SIGHUP; stop
  } catch (const std::exception& e) {
    component_log("main")->critical("{}", e.what());
    return 1;
  }
} catch (const std::exception& e) {
  // What fails before logging is set up (the signal mask, parsing the arguments, reading the
  // configuration file, the log sink) ends with a message too, not std::terminate.
  std::fprintf(stderr, "roomtempd: %s\n", e.what());
  return 1;
}

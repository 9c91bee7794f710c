// roomtempd: MQTT room temperatures into PostgreSQL, with rolling averages over MQTT and REST.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "config_file.h"
#include "daemon.h"
#include "log.h"
#include "signals.h"
#include "version.h"

int main(int argc, char** argv) {
  // Signals are blocked before any thread exists, so the main loop alone receives them.
  roomtemp::SignalCatcher signals;

  CLI::App app{"roomtempd: MQTT temperature readings into PostgreSQL, with rolling averages"};
  std::string config_path = "/etc/roomtemp/roomtemp.yaml";
  bool check_config = false, migrate = false, version = false;
  app.add_option("-c,--config", config_path, "configuration file (YAML)")->capture_default_str();
  app.add_flag("--check-config", check_config,
               "validate the configuration (and the files it names); exit 0 when valid, 2 when not");
  app.add_flag("--migrate", migrate, "apply database migrations and exit");
  app.add_flag("-V,--version", version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (version) {
    std::printf("roomtempd %s\n", ROOMTEMP_VERSION);
    return 0;
  }

  auto loaded = roomtemp::load_config(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 2;
  }
  if (check_config) {
    std::printf("%s: ok\n", config_path.c_str());
    return 0;
  }
  roomtemp::init_logging(loaded.config->log.level);
  try {
    if (migrate) return roomtemp::run_migrate(*loaded.config);
    return roomtemp::run_daemon(*loaded.config);
  } catch (const std::exception& e) {
    roomtemp::component_log("main")->critical("{}", e.what());
    return 1;
  }
}

#include "reload.h"

#include "config_file.h"
#include "log.h"

namespace roomtemp {
namespace {

/// A key the running process cannot change: `restore` puts the current value back into the
/// new config when they differ.
struct RestartOnlyKey {
  const char* name;
  bool (*restore)(Config& next, const Config& current);
};

template <auto Section, auto Field>
constexpr RestartOnlyKey restart_only(const char* name) {
  return {name, [](Config& next, const Config& current) {
            auto& value = next.*Section.*Field;
            const auto& old = current.*Section.*Field;
            if (value == old) return false;
            value = old;
            return true;
          }};
}

// Everything else changes live. tests/unit/app/config_reference_test.cpp checks the README's
// reload column against this table.
constexpr RestartOnlyKey kRestartOnlyKeys[] = {
    restart_only<&Config::mqtt, &MqttConfig::host>("mqtt.host"),
    restart_only<&Config::mqtt, &MqttConfig::port>("mqtt.port"),
    restart_only<&Config::mqtt, &MqttConfig::client_id>("mqtt.client_id"),
    restart_only<&Config::mqtt, &MqttConfig::clean_session>("mqtt.clean_session"),
    restart_only<&Config::mqtt, &MqttConfig::qos>("mqtt.qos"),
    restart_only<&Config::mqtt, &MqttConfig::keepalive>("mqtt.keepalive"),
    restart_only<&Config::mqtt, &MqttConfig::username>("mqtt.username"),
    restart_only<&Config::mqtt, &MqttConfig::password_file>("mqtt.password_file"),
    restart_only<&Config::mqtt, &MqttConfig::tls>("mqtt.tls"),
    restart_only<&Config::mqtt, &MqttConfig::subscriptions>("mqtt.subscriptions"),
    restart_only<&Config::postgres, &PostgresConfig::dsn>("postgres.dsn"),
    restart_only<&Config::postgres, &PostgresConfig::password_file>("postgres.password_file"),
    restart_only<&Config::postgres, &PostgresConfig::migrate>("postgres.migrate"),
    restart_only<&Config::spool, &SpoolConfig::dir>("spool.dir"),
    restart_only<&Config::spool, &SpoolConfig::journal>("spool.journal"),
    restart_only<&Config::spool, &SpoolConfig::fsync_interval>("spool.fsync_interval"),
    restart_only<&Config::http, &HttpConfig::listen>("http.listen"),
    restart_only<&Config::cluster, &ClusterConfig::name>("cluster.name"),
    restart_only<&Config::cluster, &ClusterConfig::takeover>("cluster.takeover"),
};

}  // namespace

std::optional<Config> reload_config(const Config& current) {
  auto log = component_log("main");
  log->info("SIGHUP: reloading {}", current.path);
  auto loaded = load_config(current.path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) log->error("reload: {}", e.to_string());
    log->error("reload failed; still running with the previous configuration");
    return std::nullopt;
  }
  Config next = std::move(*loaded.config);
  // Sources (README "Connecting real sensors"): their topics are subscriptions, which the broker
  // session holds until a restart; values, timestamp, timezone and devices change live, and so
  // does a topic whose filter stays the same. When the filters change, the old sources stay
  // whole, so that every message of the old subscriptions still finds its source.
  if (next.mqtt.subscriptions != current.mqtt.subscriptions) {
    const bool sources_involved = next.sources || current.sources;
    next.sources = current.sources;
    if (sources_involved)
      log->warn(
          "reload: sources needs a restart: its topics change the subscriptions; keeping "
          "the old sources whole until roomtempd restarts");
  }
  for (const auto& key : kRestartOnlyKeys) {
    if (key.restore(next, current))
      log->warn("reload: {} changed; restart roomtempd to apply it (keeping the old value)",
                key.name);
  }
  return next;
}

}  // namespace roomtemp

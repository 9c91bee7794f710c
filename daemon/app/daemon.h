#pragma once
#include "config.h"

namespace roomtemp {

/// Runs roomtempd until SIGTERM/SIGINT; returns the process exit code.
/// The caller must have constructed a SignalCatcher before (no threads yet).
int run_daemon(const Config& config);

/// --migrate: applies the SQL the database lacks. Returns the exit code.
int run_migrate(const Config& config);

}  // namespace roomtemp

#pragma once
#include "sim_options.h"

namespace roomtemp::sim {

/// Connects, publishes until --count, --duration or SIGINT/SIGTERM, waits for the broker to
/// acknowledge everything, and prints `sent N readings in S s (R/s)` to stdout.
/// Returns the exit code: 0 done, 1 connection failure or unacknowledged messages,
/// 2 unusable arguments (an unreadable password file).
int run(const SimOptions& options);

}  // namespace roomtemp::sim

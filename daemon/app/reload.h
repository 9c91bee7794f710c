#pragma once
#include <optional>

#include "config.h"

namespace roomtemp {

/// SIGHUP, first half: reads the file `current` came from into a new Config. A file with any
/// error leaves nothing (the errors are logged, `current` stays in force). Keys that a running
/// process cannot change (its connections, files and threads were set up from them) keep their
/// current value, and the log says a restart is needed; the README's configuration table marks
/// them `restart`. The caller applies the rest.
std::optional<Config> reload_config(const Config& current);

}  // namespace roomtemp

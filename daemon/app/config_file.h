#pragma once
// Reading the configuration file: YAML into a validated Config, every problem with its
// FILE:LINE:COL (the README's Configuration section is the reference of every key).
#include <string>
#include <vector>

#include "config.h"

namespace roomtemp {

/// A problem in a config file, printed as `FILE:LINE:COL: message` (1-based line and column).
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string to_string() const;
};

/// A key naming a file that roomtempd reads once, at start (passwords, TLS material), and
/// where the key was written.
struct FileReference {
  std::string key;  ///< dotted, e.g. "mqtt.password_file"
  std::string path;
  int line = 0;
  int column = 0;
};

/// The outcome of reading a config: a config, or every problem found.
struct ConfigResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
  std::vector<FileReference> files;  ///< every non-empty file key, for load_config to check
};

/// Parses YAML text; `file` names it in errors. Pure: looks at no other file.
ConfigResult parse_config(const std::string& text, const std::string& file);

/// Reads and parses a file, then checks that every file it names can be read (as the user
/// running it: --check-config in the unit's ExecStartPre runs as roomtempd's user).
ConfigResult load_config(const std::string& path);

/// Every key the parser accepts, dotted ("mqtt.tls.ca_file"), in file order; a metric's keys
/// are "metrics.<name>.min" and so on. Built from the lists the parser checks keys against.
std::vector<std::string> known_config_keys();

}  // namespace roomtemp

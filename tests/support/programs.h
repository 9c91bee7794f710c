#pragma once
// Outside programs some unit tests hand their output to when installed (validators, linters).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace roomtemp::test_programs {

/// The full path of `program` on PATH, or "".
inline std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

/// What a shell command printed (stdout and stderr) and its wait status; -1 when it could not
/// be started.
struct CommandResult {
  int status = -1;
  std::string output;
};

/// Runs `command` with /bin/sh, stderr joined to stdout.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* out = ::popen((command + " 2>&1").c_str(), "r");
  if (!out) return result;
  char buf[512];
  while (std::fgets(buf, sizeof buf, out)) result.output += buf;
  result.status = ::pclose(out);
  return result;
}

}  // namespace roomtemp::test_programs

#pragma once
// The repository's own files, read by tests that check them against the code (the README's
// configuration reference, the example configurations, the nginx example).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace roomtemp::test {

/// The source tree's root (CMake passes it to every test program).
inline const std::filesystem::path kSourceDir{ROOMTEMP_SOURCE_DIR};

/// The whole of a file, byte for byte; "" when it cannot be read.
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace roomtemp::test

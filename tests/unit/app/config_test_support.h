#pragma once
// What the config tests share: parse text that must be valid or must fail once, and check
// where an error points (FILE:LINE:COL) and what it names.
#include <gtest/gtest.h>

#include <string>

#include "config_file.h"

namespace roomtemp::config_test {

inline constexpr const char* kFile = "test.yaml";
inline constexpr const char* kDsnOnly = "postgres:\n  dsn: \"dbname=roomtemp\"\n";
/// Line 1 of a test's YAML: the one key every configuration must have.
inline const std::string kHead = "postgres: {dsn: dbname=x}\n";

inline std::string dump(const ConfigResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += "\n  " + e.to_string();
  return s;
}

/// Parses text that must be valid.
inline Config valid(const std::string& text) {
  ConfigResult r = parse_config(text, kFile);
  EXPECT_TRUE(r.errors.empty()) << dump(r);
  EXPECT_TRUE(r.config.has_value());
  return r.config.value_or(Config{});
}

/// Parses text that must have exactly one error, and returns it.
inline ConfigError one_error(const std::string& text) {
  ConfigResult r = parse_config(text, kFile);
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(r.errors.size(), 1u) << text << dump(r);
  if (r.errors.empty()) return {};
  return r.errors.front();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

#define EXPECT_AT(err, l, c)                           \
  do {                                                 \
    EXPECT_EQ((err).line, (l)) << (err).to_string();   \
    EXPECT_EQ((err).column, (c)) << (err).to_string(); \
    EXPECT_EQ((err).file, kFile) << (err).to_string(); \
  } while (0)

#define EXPECT_MENTIONS(err, text)             \
  EXPECT_TRUE(contains((err).message, (text))) \
      << (err).to_string() << "\n  should mention " << (text)

}  // namespace roomtemp::config_test

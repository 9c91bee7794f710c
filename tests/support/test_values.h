#pragma once
// Small values the unit and integration tests build their inputs from.
#include <string>
#include <string_view>

#include "config.h"

namespace roomtemp::test {

/// `s` written `n` times.
inline std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

/// The defaults a config file without options gets (temperature in [-60, 100], max_future_skew
/// 5m: the README's configuration reference), with the one key it must name.
inline Config test_config() {
  Config c;
  c.postgres.dsn = "dbname=test";
  return c;
}

}  // namespace roomtemp::test

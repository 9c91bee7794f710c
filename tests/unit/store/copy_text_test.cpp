// The text the writer COPYs for a float8: short for the values sensors send, and read back as
// exactly the same double for any finite value (PostgreSQL's float8 input is exact).
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "rows.h"

namespace roomtemp {
namespace {

double read_back(const std::string& text) {
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  EXPECT_EQ(r.ec, std::errc()) << text;
  EXPECT_EQ(r.ptr, text.data() + text.size()) << text;
  return v;
}

TEST(FloatText, SensorValuesStayShort) {
  EXPECT_EQ(float_text(21.37), "21.37");
  EXPECT_EQ(float_text(-5.0), "-5");
  EXPECT_EQ(float_text(0.1), "0.1");
  EXPECT_EQ(float_text(100), "100");
}

TEST(FloatText, EveryFiniteDoubleReadsBackExactly) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    const std::string text = float_text(v);
    ASSERT_EQ(read_back(text), v) << text;
  }
  for (double v : {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                   std::numeric_limits<double>::denorm_min(), -0.0, 1e21, 1e-7}) {
    EXPECT_EQ(read_back(float_text(v)), v) << float_text(v);
  }
}

}  // namespace
}  // namespace roomtemp

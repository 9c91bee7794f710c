// The `homeassistant:` section (README "Home Assistant"): defaults, values, every mistake as
// FILE:LINE:COL, and the example config/homeassistant.yaml. Line and column numbers are counted
// by hand from the YAML text (1-based).
#include <gtest/gtest.h>

#include <filesystem>

#include "config_file.h"
#include "config_test_support.h"

namespace roomtemp {
namespace {

using namespace config_test;

TEST(ConfigHomeAssistant, DefaultsAreOffUnderHomeassistant) {
  const Config c = valid(kHead);
  EXPECT_FALSE(c.homeassistant.discovery);
  EXPECT_EQ(c.homeassistant.prefix, "homeassistant");
}

TEST(ConfigHomeAssistant, ReadsBothKeys) {
  const Config c = valid(kHead + "homeassistant:\n  discovery: true\n  prefix: site-1/ha\n");
  EXPECT_TRUE(c.homeassistant.discovery);
  EXPECT_EQ(c.homeassistant.prefix, "site-1/ha");
}

TEST(ConfigHomeAssistant, MistakesAreErrorsAtTheirKey) {
  {
    const auto e = one_error(kHead + "homeassistant:\n  discovery: maybe\n");
    EXPECT_AT(e, 3, 14);
    EXPECT_MENTIONS(e, "homeassistant.discovery");
    EXPECT_MENTIONS(e, "maybe");
  }
  for (const char* bad : {"\"ha/#\"", "\"/ha\"", "\"a//b\"", "\"\"", "\"h a\""}) {
    const auto e = one_error(kHead + "homeassistant:\n  prefix: " + bad + "\n");
    EXPECT_AT(e, 3, 11);
    EXPECT_MENTIONS(e, "homeassistant.prefix");
  }
  {
    const auto e = one_error(kHead + "homeassistant:\n  discovry: true\n");
    EXPECT_AT(e, 3, 3);
    EXPECT_MENTIONS(e, "discovry");
  }
  {
    const auto e = one_error(kHead + "homeassistant: true\n");
    EXPECT_AT(e, 2, 16);
    EXPECT_MENTIONS(e, "homeassistant");
  }
}

TEST(ConfigHomeAssistant, TheExampleFileLoads) {
  const auto path = std::filesystem::path(ROOMTEMP_SOURCE_DIR) / "config" / "homeassistant.yaml";
  const ConfigResult r = load_config(path.string());
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.config->homeassistant.discovery);
  EXPECT_EQ(r.config->homeassistant.prefix, "homeassistant");
  EXPECT_FALSE(r.config->alarms.empty()) << "the example shows the alarm entities too";
}

}  // namespace
}  // namespace roomtemp

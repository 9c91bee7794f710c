// MQTT subscription filters (mqtt.subscriptions): well-formed per MQTT 3.1.1, checked with
// libmosquitto's own validators over every byte.
#include <gtest/gtest.h>

#include <string>

#include "mqtt_client.h"

namespace roomtemp {
namespace {

TEST(ValidSubscription, AcceptsFilters) {
  EXPECT_TRUE(valid_subscription("buildings/+/rooms/+/+"));
  EXPECT_TRUE(valid_subscription("buildings/#"));
  EXPECT_TRUE(valid_subscription("#"));
  EXPECT_TRUE(valid_subscription("buildings/B1/rooms/101/temperature"));
  EXPECT_TRUE(valid_subscription("+/+/+"));
}

TEST(ValidSubscription, RejectsMalformedFilters) {
  EXPECT_FALSE(valid_subscription(""));
  EXPECT_FALSE(valid_subscription("buildings/#/rooms"));
  EXPECT_FALSE(valid_subscription("buildings/B+/rooms"));
  EXPECT_FALSE(valid_subscription("buildings/B#"));
  EXPECT_FALSE(valid_subscription("buildings/+x/rooms"));
}

}  // namespace
}  // namespace roomtemp

// The `cluster:` section (README "Standby and failover"): defaults, values, every mistake as
// FILE:LINE:COL, and the lease timings cluster.takeover implies. Line and column numbers are
// counted by hand from the YAML text (1-based).
#include <gtest/gtest.h>

#include "cluster.h"
#include "config_file.h"
#include "config_test_support.h"

namespace roomtemp {
namespace {

using namespace config_test;

TEST(ConfigCluster, DefaultsRunAlone) {
  const Config c = valid(kHead);
  EXPECT_EQ(c.cluster.name, "");
  EXPECT_EQ(c.cluster.takeover, std::chrono::seconds(10));
}

TEST(ConfigCluster, ReadsBothKeys) {
  const Config c = valid(kHead + "cluster:\n  name: site-1.main\n  takeover: 30s\n");
  EXPECT_EQ(c.cluster.name, "site-1.main");
  EXPECT_EQ(c.cluster.takeover, std::chrono::seconds(30));
}

TEST(ConfigCluster, MistakesAreErrorsAtTheirKey) {
  ConfigError e = one_error(kHead + "cluster:\n  name: \"a b\"\n");
  EXPECT_AT(e, 3, 9);
  EXPECT_MENTIONS(e, "cluster.name: expected 1 to 64 characters of A-Z a-z 0-9 _ - ., got 'a b'");
  e = one_error(kHead + "cluster:\n  takeover: 500ms\n");
  EXPECT_AT(e, 3, 13);
  EXPECT_MENTIONS(e, "cluster.takeover: 500ms is shorter than the minimum 1s");
  e = one_error(kHead + "cluster:\n  takeover: 2h\n");
  EXPECT_AT(e, 3, 13);
  EXPECT_MENTIONS(e, "cluster.takeover: 2h is longer than the maximum 1h");
  e = one_error(kHead + "cluster:\n  nmae: x\n");
  EXPECT_AT(e, 3, 3);
  EXPECT_MENTIONS(e, "nmae");
}

TEST(ConfigCluster, TheInstancesShareTheBrokersSession) {
  const ConfigError e = one_error(kHead + "mqtt:\n  clean_session: true\ncluster:\n  name: main\n");
  EXPECT_AT(e, 5, 9);
  EXPECT_MENTIONS(e, "mqtt.clean_session: true throws away");
}

TEST(ClusterTimings, TheHolderStopsBeforeAStandbyMayStart) {
  for (const auto takeover : {Duration(std::chrono::seconds(1)), Duration(std::chrono::seconds(10)),
                              Duration(std::chrono::hours(1))}) {
    SCOPED_TRACE(format_duration(takeover));
    // The holder counts its lease as held for less than the lease lasts in PostgreSQL …
    EXPECT_LT(Cluster::held_for(takeover), Cluster::lease_length(takeover));
    // … with at least one look of a standby between them, …
    EXPECT_GE(Cluster::lease_length(takeover) - Cluster::held_for(takeover),
              Cluster::look_every(takeover));
    // … renews several times before it would step down, …
    EXPECT_GE(Cluster::held_for(takeover) / Cluster::look_every(takeover), 3);
    // … and a standby's takeover (the lease running out, then its next look) fits the promise,
    // with room left for warming the windows and connecting.
    EXPECT_LE(Cluster::lease_length(takeover) + 2 * Cluster::look_every(takeover),
              std::chrono::duration_cast<std::chrono::milliseconds>(takeover) * 7 / 10);
  }
}

}  // namespace
}  // namespace roomtemp

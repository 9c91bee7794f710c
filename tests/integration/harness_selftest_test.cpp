// Proves the harness itself: mosquitto and PostgreSQL start, stop and restart on the same
// port, queries answer, and an MQTT message makes a round trip. No roomtempd involved.
#include <gtest/gtest.h>
#include <signal.h>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

TEST(HarnessSelfTest, FreePortIsBindableAndNotAccepting) {
  const int port = free_port();
  EXPECT_GT(port, 0);
  EXPECT_FALSE(port_accepts(port));
}

TEST(HarnessSelfTest, ProcessReportsExitCodesAndSignals) {
  auto sh = find_program("sh");
  ASSERT_TRUE(sh);
  ProcessSpec script;
  script.argv = {*sh, "-c", "echo out; echo err >&2; exit 3"};
  RunResult r = run(script, 10s);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output, "out\nerr\n");

  ProcessSpec spec;
  spec.argv = {*sh, "-c", "sleep 30"};
  Process p(spec);
  EXPECT_TRUE(p.running());
  EXPECT_FALSE(p.wait_exit(50ms));
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(5s), 128 + SIGTERM);

  ProcessSpec missing;
  missing.argv = {"/nonexistent/program"};
  EXPECT_THROW(Process{missing}, std::runtime_error);
}

TEST(HarnessSelfTest, TempDirIsRemoved) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    write_file(dir.file("a"), "hello");
    dir.subdir("sub");
    write_file(dir.file("sub/b"), "x");
    EXPECT_EQ(read_file(dir.file("a")), "hello");
  }
  EXPECT_EQ(read_file(path + "/a"), "");
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

TEST(HarnessSelfTest, BrokerRoundTripAndRestartOnSamePort) {
  Broker broker;
  const int port = broker.port();
  ASSERT_TRUE(port_accepts(port));

  MqttClient sub(port);
  sub.subscribe("selftest/#");
  MqttClient pub(port);
  pub.publish("selftest/a", "one", 1);
  pub.publish("selftest/b", std::string("\0\xff", 2), 0);
  ASSERT_TRUE(sub.wait_for([](auto& m) { return m.size() == 2; }, 5s));
  auto got = sub.messages_on("selftest/a");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "one");
  EXPECT_EQ(got[0].qos, 1);
  EXPECT_EQ(sub.messages_on("selftest/b").at(0).payload, std::string("\0\xff", 2));

  broker.stop();
  EXPECT_FALSE(broker.running());
  EXPECT_FALSE(port_accepts(port));
  EXPECT_TRUE(wait_until([&] { return !sub.connected(); }, 5s));
  broker.start();
  EXPECT_EQ(broker.port(), port);
  EXPECT_TRUE(port_accepts(port));

  // Both clients reconnect by themselves and the subscriber resubscribes.
  ASSERT_TRUE(sub.wait_connected(10s));
  ASSERT_TRUE(pub.wait_connected(10s));
  ASSERT_TRUE(wait_until(
      [&] {
        pub.publish("selftest/c", "after restart", 1);
        return sub.wait_for([](auto& m) { return m.size() >= 3; }, 200ms);
      },
      10s));
  EXPECT_EQ(sub.messages_on("selftest/c").at(0).payload, "after restart");
}

// The tests read the broker's log for what roomtempd did there (TLS errors, refused logins):
// starting the broker must leave no connection of the harness's own in it.
TEST(HarnessSelfTest, BrokerStartsWithoutConnectingToIt) {
  Broker broker;
  broker.stop();
  broker.start();
  // Connections are accepted in the order they came: once ours is logged, so is any before it.
  const std::string id = unique_name("selftest_first");
  MqttClient first(broker.port(), {.client_id = id});
  ASSERT_TRUE(wait_until([&] { return broker.log().find(" as " + id) != std::string::npos; }, 5s))
      << broker.log();
  const std::string log = broker.log();
  int connections = 0;
  for (auto p = log.find("New connection from"); p != std::string::npos;
       p = log.find("New connection from", p + 1))
    ++connections;
  EXPECT_EQ(connections, 1) << log;
}

TEST(HarnessSelfTest, PersistentSessionQueuesWhileSubscriberIsAway) {
  Broker broker;
  {
    MqttClient durable(broker.port(), {.client_id = "selftest_durable", .clean_session = false});
    durable.subscribe("queued/#", 1);
  }
  MqttClient pub(broker.port());
  std::vector<Publication> batch;
  for (int i = 0; i < 3000; ++i) batch.push_back({"queued/x", std::to_string(i)});
  pub.publish_many(batch, 1);
  EXPECT_EQ(pub.acked(), 3000u);

  // More than mosquitto's default max_queued_messages (1000): all must arrive.
  MqttClient durable(broker.port(), {.client_id = "selftest_durable", .clean_session = false});
  ASSERT_TRUE(durable.wait_for([](auto& m) { return m.size() >= 3000; }, 20s))
      << durable.messages().size();
  auto got = durable.messages();
  EXPECT_EQ(got.front().payload, "0");
  EXPECT_EQ(got.back().payload, "2999");
}

TEST(HarnessSelfTest, PostgresQueryStopAndRestart) {
  Postgres pg;
  EXPECT_EQ(pg.query_value("SELECT current_database()"), "roomtemp");
  pg.query("CREATE TABLE t (id int, name text, at timestamptz)");
  pg.query("INSERT INTO t VALUES (1, 'a', '2024-12-01T12:34:56.5+02:00'), (2, NULL, NULL)");
  Rows rows = pg.query("SELECT id, name, at FROM t ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (Row{"1", "a", "2024-12-01 10:34:56.5+00"}));
  EXPECT_EQ(rows[1], (Row{"2", kNull, kNull}));

  pg.create_database("second");
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM pg_tables WHERE tablename = 't'", "second"), 0);

  const int port = pg.port();
  pg.stop();
  EXPECT_FALSE(pg.running());
  EXPECT_FALSE(port_accepts(port));
  EXPECT_THROW(pg.query("SELECT 1"), std::exception);
  pg.start();
  EXPECT_EQ(pg.port(), port);
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM t"), 2);
}

}  // namespace
}  // namespace roomtemp::harness

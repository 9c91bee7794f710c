#include "harness/fixture.h"

#include <thread>

#include "harness/wait.h"

namespace roomtemp::harness {

void DaemonTest::start_daemon(const std::string& db_prefix, ConfigOptions options) {
  db_ = unique_name(db_prefix);
  pg_->create_database(db_);
  options.database = db_;
  daemon_ = std::make_unique<Daemon>(default_config(broker_, *pg_, dir_, options));
  ASSERT_TRUE(daemon_->wait_ready(std::chrono::seconds(30))) << "roomtempd did not become ready";
}

void DaemonTest::expect_count_settles(const std::string& sql, long long n,
                                      std::chrono::milliseconds timeout) {
  long long last = -1;
  wait_until([&] { return (last = count(sql)) >= n; }, timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(last, n) << sql;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(count(sql), n) << sql << " (after settling)";
}

void DaemonTest::wait_rows(long long n, std::chrono::milliseconds timeout) {
  const std::string sql = "SELECT count(*) FROM readings";
  long long last = -1;
  wait_until([&] { return (last = count(sql)) >= n; }, timeout, std::chrono::milliseconds(50));
  ASSERT_EQ(last, n) << "readings rows";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(count(sql), n) << "readings rows (after settling)";
}

}  // namespace roomtemp::harness

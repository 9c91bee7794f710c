#pragma once
// A GoogleTest fixture for tests that run roomtempd: one PostgreSQL per test suite (a fresh
// database per test), a broker and a temp dir per test.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "harness/broker.h"
#include "harness/daemon.h"
#include "harness/postgres.h"
#include "harness/temp_dir.h"

namespace roomtemp::harness {

class DaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pg_ = new Postgres; }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }

  /// Starts roomtempd on a fresh database named after `db_prefix` and waits until /readyz
  /// says 200.
  void start_daemon(const std::string& db_prefix, ConfigOptions options = {});

  Rows query(const std::string& sql) const { return pg_->query(sql, db_); }
  long long count(const std::string& sql) const { return pg_->query_count(sql, db_); }

  /// Expects `sql` to count `n` within `timeout`, and still a moment later.
  void expect_count_settles(const std::string& sql, long long n,
                            std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// Asserts that `readings` reaches `n` rows and stays there.
  void wait_rows(long long n, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  static inline Postgres* pg_ = nullptr;
  std::string db_;
  TempDir dir_;
  Broker broker_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace roomtemp::harness

#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "harness/process.h"
#include "harness/temp_dir.h"

namespace roomtemp::harness {

/// Query results as text, row by row; SQL NULL reads as kNull.
using Row = std::vector<std::string>;
using Rows = std::vector<Row>;
inline const std::string kNull = "NULL";

/// A throw-away PostgreSQL cluster: a copy of one initdb made once per test program (as the
/// postgres user when we are root, since PostgreSQL refuses root), `-A trust`, superuser
/// `postgres`, listening on 127.0.0.1 and a free port with fsync off. The constructor starts it and
/// creates database `roomtemp`. Skips the test (exit 77) when initdb/postgres are not installed.
class Postgres {
 public:
  Postgres();
  ~Postgres();
  /// A streaming replica of `primary` (pg_basebackup -R: hot standby, read-only), started on
  /// a free port of its own. promote() makes it a primary.
  struct StandbyOf {
    const Postgres& primary;
  };
  explicit Postgres(StandbyOf standby);
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  /// Starts it again on the same port and data directory (after stop()); waits until it
  /// accepts connections.
  void start();
  /// Fast shutdown (SIGINT), waiting for it to exit (SIGKILL after 30 s).
  void stop();
  bool running() { return process_.running(); }
  int port() const { return port_; }

  /// libpq connection string for `dbname` over TCP on loopback.
  std::string dsn(const std::string& dbname = "roomtemp") const;
  /// CREATE DATABASE `name` (a fresh, empty one per test keeps tests independent).
  void create_database(const std::string& name);

  /// Runs SQL (outside a transaction, session time zone UTC) and returns every row as text.
  Rows query(const std::string& sql, const std::string& dbname = "roomtemp") const;
  /// The single value of a one-row, one-column query (throws otherwise).
  std::string query_value(const std::string& sql, const std::string& dbname = "roomtemp") const;
  /// query_value as a number (e.g. a count).
  long long query_count(const std::string& sql, const std::string& dbname = "roomtemp") const;

  /// The server's own log.
  std::string log() const;

  /// A standby: promotes it (SELECT pg_promote(), which waits until it accepts writes).
  void promote();

 private:
  /// A spec that runs `argv` as the postgres user (when we are root) in the data directory.
  ProcessSpec as_postgres(std::vector<std::string> argv, std::string output) const;
  /// Finds initdb and postgres and who runs them; skips the test when they are missing.
  void find_programs();
  /// start() on a free port, another one when a concurrent test took it first.
  void start_on_free_port();

  TempDir dir_{"roomtemp-pg"};
  std::string initdb_;
  std::string postgres_;
  std::optional<uid_t> uid_;
  std::optional<gid_t> gid_;
  std::string data_;
  std::string socket_dir_;
  int port_ = 0;
  Process process_;
};

}  // namespace roomtemp::harness

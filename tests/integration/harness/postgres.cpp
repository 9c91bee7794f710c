#include "harness/postgres.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <pqxx/pqxx>
#include <stdexcept>

#include "harness/net.h"
#include "harness/wait.h"

namespace roomtemp::harness {

namespace {
/// Debian keeps the server programs out of PATH.
std::vector<std::string> postgres_bin_dirs() {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
    dirs.push_back(e.path().string() + "/bin");
  std::sort(dirs.rbegin(), dirs.rend());  // newest first; 15 on Debian 12
  return dirs;
}

/// True when the server at `dsn` answers and is the one serving `data_dir` (a port that
/// merely answers could belong to another test's server).
bool serves(const std::string& dsn, const std::string& data_dir) {
  try {
    pqxx::connection c(dsn);
    pqxx::nontransaction w(c);
    return w.exec("SHOW data_directory")[0][0].as<std::string>() == data_dir;
  } catch (const std::exception&) {
    return false;
  }
}
/// A spec that runs `argv` as `uid`/`gid` (when set) in `cwd`, output to `output`.
ProcessSpec as_user(std::vector<std::string> argv, std::string output, std::string cwd,
                    std::optional<uid_t> uid, std::optional<gid_t> gid) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.output_file = std::move(output);
  spec.cwd = std::move(cwd);
  spec.uid = uid;
  spec.gid = gid;
  return spec;
}

/// The data directory of a cluster initdb made, once per test program: every Postgres starts
/// from a copy of it (initdb costs a second or more of CPU each time, the copy a fraction of
/// that, and a test file may start a cluster per test).
const std::string& initialised_cluster(const std::string& initdb, std::optional<uid_t> uid,
                                       std::optional<gid_t> gid) {
  static const TempDir dir("roomtemp-pginit");
  static const std::string data = [&] {
    const std::string path = dir.subdir("data", 0700, uid, gid);
    const auto init = run(as_user({initdb, "-D", path, "-A", "trust", "-U", "postgres", "-E",
                                   "UTF8", "--locale=C", "--no-sync"},
                                  dir.file("initdb.log"), path, uid, gid),
                          std::chrono::seconds(120));
    if (init.exit_code != 0)
      throw std::runtime_error("initdb failed (" + std::to_string(init.exit_code) + "):\n" +
                               init.output);
    return path;
  }();
  return data;
}
}  // namespace

void Postgres::find_programs() {
  const auto dirs = postgres_bin_dirs();
  auto initdb = find_program("initdb", dirs);
  auto postgres = find_program("postgres", dirs);
  if (!initdb || !postgres)
    skip("PostgreSQL server programs (initdb, postgres) not found; apt-get install postgresql-15");
  initdb_ = *initdb;
  postgres_ = *postgres;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (!pw) skip("running as root and there is no 'postgres' user to run PostgreSQL as");
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
}

void Postgres::start_on_free_port() {
  // Another test may take the free port before postgres binds it: then try another.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 3) throw;
    }
  }
}

Postgres::Postgres() {
  find_programs();
  data_ = dir_.subdir("data", 0700, uid_, gid_);
  socket_dir_ = dir_.subdir("run", 0755, uid_, gid_);
  const auto cp = find_program("cp");
  if (!cp) throw std::runtime_error("cp not found on PATH");
  const auto copy =
      run(as_postgres({*cp, "-a", initialised_cluster(initdb_, uid_, gid_) + "/.", data_},
                      dir_.file("copy.log")),
          std::chrono::seconds(120));
  if (copy.exit_code != 0)
    throw std::runtime_error("copying the initdb cluster failed (" +
                             std::to_string(copy.exit_code) + "):\n" + copy.output);
  start_on_free_port();
  query("CREATE DATABASE roomtemp", "postgres");
}

Postgres::Postgres(StandbyOf standby) {
  find_programs();
  data_ = dir_.subdir("data", 0700, uid_, gid_);
  socket_dir_ = dir_.subdir("run", 0755, uid_, gid_);
  const auto basebackup =
      find_program("pg_basebackup", {std::filesystem::path(postgres_).parent_path().string()});
  if (!basebackup) throw std::runtime_error("pg_basebackup not found beside " + postgres_);
  // -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica.
  const auto copy = run(as_postgres({*basebackup, "-h", "127.0.0.1", "-p",
                                     std::to_string(standby.primary.port()), "-U", "postgres", "-D",
                                     data_, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"},
                                    dir_.file("basebackup.log")),
                        std::chrono::seconds(120));
  if (copy.exit_code != 0)
    throw std::runtime_error("pg_basebackup failed (" + std::to_string(copy.exit_code) + "):\n" +
                             copy.output);
  start_on_free_port();
}

void Postgres::promote() { query("SELECT pg_promote(true, 60)", "postgres"); }

Postgres::~Postgres() {
  if (test_failed()) print_tail("postgres log " + dir_.file("postgres.log"), log(), 40);
  if (process_.running()) {
    process_.signal(SIGINT);
    if (!process_.wait_exit(std::chrono::seconds(15))) process_.kill();
  }
}

void Postgres::start() {
  if (process_.running()) return;
  process_.start(
      as_postgres({postgres_, "-D", data_, "-p", std::to_string(port_), "-k", socket_dir_, "-c",
                   "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                   "-c", "full_page_writes=off", "-c", "max_connections=100"},
                  dir_.file("postgres.log")));
  const std::string probe = dsn("postgres") + " connect_timeout=2";
  const bool up =
      wait_until([&] { return !process_.running() || serves(probe, data_); }, 60s, 50ms);
  if (!up || !process_.running()) {
    process_.kill();
    throw std::runtime_error("postgres did not start on port " + std::to_string(port_) + ":\n" +
                             log());
  }
}

void Postgres::stop() {
  if (!process_.running()) return;
  process_.signal(SIGINT);  // fast shutdown: abort sessions, checkpoint, exit
  if (!process_.wait_exit(std::chrono::seconds(30))) process_.kill();
}

std::string Postgres::dsn(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + dbname + " user=postgres";
}

void Postgres::create_database(const std::string& name) {
  query("CREATE DATABASE \"" + name + "\"", "postgres");
}

Rows Postgres::query(const std::string& sql, const std::string& dbname) const {
  pqxx::connection c(dsn(dbname));
  pqxx::nontransaction w(c);
  w.exec("SET TIME ZONE 'UTC'");
  const pqxx::result r = w.exec(sql);
  Rows rows;
  for (const auto& row : r) {
    Row out;
    for (const auto& field : row) out.push_back(field.is_null() ? kNull : field.c_str());
    rows.push_back(std::move(out));
  }
  return rows;
}

std::string Postgres::query_value(const std::string& sql, const std::string& dbname) const {
  Rows rows = query(sql, dbname);
  if (rows.size() != 1 || rows[0].size() != 1)
    throw std::runtime_error("expected one value from: " + sql);
  return rows[0][0];
}

long long Postgres::query_count(const std::string& sql, const std::string& dbname) const {
  return std::stoll(query_value(sql, dbname));
}

ProcessSpec Postgres::as_postgres(std::vector<std::string> argv, std::string output) const {
  return as_user(std::move(argv), std::move(output), data_, uid_, gid_);
}

std::string Postgres::log() const { return read_file(dir_.file("postgres.log")); }

}  // namespace roomtemp::harness

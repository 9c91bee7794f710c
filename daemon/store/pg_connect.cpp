#include "pg_connect.h"

#include <cstdlib>
#include <pqxx/pqxx>

namespace roomtemp {
namespace {

bool is_uri(const std::string& dsn) {
  return dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0;
}

std::string quote_value(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string effective_dsn(const PostgresConfig& pg) {
  std::string dsn = pg.dsn;
  if (!is_uri(dsn)) {
    if (dsn.find("connect_timeout") == std::string::npos) dsn += " connect_timeout=5";
    // A server that vanished without closing its connections (a machine gone, a network cut)
    // is noticed within about 10-25 s rather than the system's hours of TCP retries: a failover
    // and the cluster's lease depend on it.
    if (dsn.find("keepalives") == std::string::npos)
      dsn += " keepalives=1 keepalives_idle=10 keepalives_interval=5 keepalives_count=3";
    if (dsn.find("tcp_user_timeout") == std::string::npos) dsn += " tcp_user_timeout=10000";
    if (!pg.password_file.empty())
      dsn += " password=" + quote_value(read_secret_file(pg.password_file));
  }
  return dsn;
}

void prepare_postgres_environment(const PostgresConfig& pg) {
  if (is_uri(pg.dsn) && !pg.password_file.empty())
    ::setenv("PGPASSWORD", read_secret_file(pg.password_file).c_str(), 1);
  if (is_uri(pg.dsn)) ::setenv("PGCONNECT_TIMEOUT", "5", 0);
}

std::unique_ptr<pqxx::connection> pg_connect(const PostgresConfig& pg) {
  return std::make_unique<pqxx::connection>(effective_dsn(pg));
}

}  // namespace roomtemp

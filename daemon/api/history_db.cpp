// PostgreSQL for the history routes: one connection per HTTP worker thread. cpp-httplib's
// pool threads live as long as the server, so the connection does too and closes when its
// thread ends.
#include "history_db.h"

#include <memory>
#include <string>

#include "config.h"
#include "http_api.h"
#include "log.h"
#include "pg_connect.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

/// Every history query gives up after this; the answer is then a 503 asking for less.
constexpr const char* kStatementTimeout = "10s";

/// The SQL state PostgreSQL reports when statement_timeout cancels a query.
constexpr const char* kQueryCanceled = "57014";

struct ThreadConnection {
  std::string
      dsn;  ///< what it was opened with: postgres.dsn takes a restart, so this never changes
  std::unique_ptr<pqxx::connection> conn;
};
thread_local ThreadConnection t_pg;

/// Logs (rate-limited: every handler thread may hit it at once) and answers 503.
[[noreturn]] void unavailable(const std::string& why) {
  static RateLimit limit(1);
  std::uint64_t suppressed = 0;
  if (limit.allow(suppressed))
    component_log("http")->warn("history query failed: {}{}", why,
                                suppressed ? fmt::format(" ({} more suppressed)", suppressed) : "");
  throw Unavailable(why);
}

/// This thread's connection, opened (or reopened) when needed; `fresh` says it was just opened.
pqxx::connection& thread_connection(const PostgresConfig& pg, bool& fresh) {
  fresh = false;
  if (t_pg.conn && t_pg.dsn == pg.dsn && t_pg.conn->is_open()) return *t_pg.conn;
  t_pg.conn.reset();
  try {
    auto conn = pg_connect(pg);
    // set_variable (not a raw SET) so that libpqxx restores it if it reconnects on its own.
    conn->set_variable("statement_timeout", std::string("'") + kStatementTimeout + "'");
    t_pg = {pg.dsn, std::move(conn)};
  } catch (const std::exception& e) {  // broken_connection, or an unreadable password file
    unavailable("postgresql unavailable: " + one_line(e.what()));
  }
  fresh = true;
  return *t_pg.conn;
}

}  // namespace

void run_read_only(HttpDeps& deps, const std::function<void(pqxx::transaction_base&)>& query) {
  const auto config = deps.config.get();
  for (int attempt = 0;; ++attempt) {
    bool fresh = false;
    try {
      pqxx::read_transaction txn(thread_connection(config->postgres, fresh));
      query(txn);
      txn.commit();
      return;
    } catch (const pqxx::broken_connection& e) {
      t_pg.conn.reset();
      if (attempt == 0 && !fresh) continue;
      unavailable("postgresql unavailable: " + one_line(e.what()));
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == kQueryCanceled)
        unavailable(std::string("the query took longer than ") + kStatementTimeout +
                    "; ask for a shorter range");
      throw;  // a bug in our SQL: logged by the exception handler, answered 500
    }
  }
}

}  // namespace roomtemp

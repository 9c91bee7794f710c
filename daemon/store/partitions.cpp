#include "partitions.h"

#include <pqxx/pqxx>

namespace roomtemp {
namespace {

/// Daily partitions and their day; "readings_raw_p" is 14 characters.
constexpr const char* kDailyPartitionsSql =
    "SELECT c.relname, to_date(substr(c.relname, 15), 'YYYYMMDD') AS day"
    " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = 'readings_raw'::regclass AND c.relname ~ '^readings_raw_p[0-9]{8}$'";

std::vector<RawDay> days_of(pqxx::connection& conn, const std::string& condition) {
  pqxx::read_transaction txn(conn);
  const auto rows = txn.exec(std::string("SELECT relname, day::text FROM (") + kDailyPartitionsSql +
                             ") p WHERE " + condition + " ORDER BY day");
  std::vector<RawDay> days;
  for (const auto& row : rows) days.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
  return days;
}

}  // namespace

int ensure_partitions(pqxx::connection& conn) {
  pqxx::work txn(conn);
  auto r = txn.exec("SELECT roomtemp_ensure_partitions(1, 7)");
  txn.commit();
  return r[0][0].as<int>();
}

std::vector<RawDay> daily_partitions(pqxx::connection& conn) { return days_of(conn, "true"); }

std::vector<RawDay> days_to_compact(pqxx::connection& conn) {
  return days_of(conn,
                 "(day + 1)::timestamp AT TIME ZONE 'UTC' + interval '1 hour' <= now()"
                 " AND NOT EXISTS (SELECT 1 FROM readings_raw_compacted c WHERE c.day = p.day)");
}

void compact_day(pqxx::connection& conn, const RawDay& day) {
  pqxx::nontransaction txn(conn);
  // A rebuild cut short (a crash, a lost connection) leaves an invalid copy of the index that
  // PostgreSQL still keeps up to date on every insert: drop it first.
  const auto invalid = txn.exec_params(
      "SELECT i.indexrelid::regclass::text FROM pg_index i"
      " WHERE i.indrelid = $1::regclass AND NOT i.indisvalid",
      day.table);
  for (const auto& row : invalid)
    txn.exec("DROP INDEX CONCURRENTLY IF EXISTS " + row[0].as<std::string>());
  const auto key = txn.exec_params(
      "SELECT i.indexrelid::regclass::text FROM pg_index i"
      " WHERE i.indrelid = $1::regclass AND i.indisunique",
      day.table);
  for (const auto& row : key) txn.exec("REINDEX INDEX CONCURRENTLY " + row[0].as<std::string>());
  txn.exec_params(
      "INSERT INTO readings_raw_compacted (day) VALUES ($1::date) ON CONFLICT DO NOTHING", day.day);
}

}  // namespace roomtemp

#include "lease.h"

#include <pqxx/pqxx>

namespace roomtemp {
namespace {

/// A transaction whose statements end after `timeout`, and which PostgreSQL ends itself when
/// this side goes quiet in the middle of it for as long. An instance frozen (SIGSTOP, a paused
/// VM) between a statement and its COMMIT would otherwise keep the lease row locked for as long
/// as it stays frozen, and every other instance's attempt to take over would wait on it.
void limit(pqxx::work& txn, std::chrono::milliseconds timeout) {
  const std::string ms = std::to_string(timeout.count());
  txn.exec("SET LOCAL statement_timeout = " + ms +
           "; SET LOCAL idle_in_transaction_session_timeout = " + ms);
}

}  // namespace

LeaseTable::Attempt LeaseTable::try_acquire(pqxx::connection& conn,
                                            std::chrono::milliseconds length) const {
  pqxx::work txn(conn);
  limit(txn, timeout_);
  // The group's row exists from the first attempt on, expired, so that FOR UPDATE has a row
  // to lock: two instances starting together then take turns on it.
  txn.exec_params(
      "INSERT INTO cluster_lease (name, holder, term, acquired_at, renewed_at, expires_at) "
      "VALUES ($1, '', 0, clock_timestamp(), clock_timestamp(), '-infinity') "
      "ON CONFLICT (name) DO NOTHING",
      group_);
  const pqxx::row now = txn.exec_params1(
      "SELECT holder, term, expires_at > clock_timestamp(), handover FROM cluster_lease "
      "WHERE name = $1 "
      "FOR UPDATE",
      group_);
  Attempt a;
  a.holder = now[0].as<std::string>();
  a.handover = now[3].as<std::int64_t>();
  if (now[2].as<bool>()) {
    txn.commit();
    return a;
  }
  a.previous = a.holder;
  a.term = txn.exec_params1(
                  "UPDATE cluster_lease SET holder = $2, term = term + 1, "
                  "acquired_at = clock_timestamp(), renewed_at = clock_timestamp(), "
                  "expires_at = clock_timestamp() + $3 * interval '1 millisecond' "
                  "WHERE name = $1 RETURNING term",
                  group_, holder_, length.count())[0]
               .as<std::int64_t>();
  txn.commit();
  a.acquired = true;
  a.holder = holder_;
  return a;
}

std::optional<std::int64_t> LeaseTable::renew(pqxx::connection& conn, std::int64_t term,
                                              std::chrono::milliseconds length) const {
  pqxx::work txn(conn);
  limit(txn, timeout_);
  const pqxx::result r = txn.exec_params(
      "UPDATE cluster_lease SET renewed_at = clock_timestamp(), "
      "expires_at = clock_timestamp() + $4 * interval '1 millisecond' "
      "WHERE name = $1 AND holder = $2 AND term = $3 AND expires_at > clock_timestamp() "
      "RETURNING handover",
      group_, holder_, term, length.count());
  txn.commit();
  if (r.size() != 1) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

void LeaseTable::hand_over(pqxx::connection& conn) const {
  pqxx::work txn(conn);
  limit(txn, timeout_);
  txn.exec_params("UPDATE cluster_lease SET handover = handover + 1 WHERE name = $1", group_);
  txn.commit();
}

void LeaseTable::release(pqxx::connection& conn, std::int64_t term) const {
  pqxx::work txn(conn);
  limit(txn, timeout_);
  txn.exec_params(
      "UPDATE cluster_lease SET expires_at = clock_timestamp() "
      "WHERE name = $1 AND holder = $2 AND term = $3",
      group_, holder_, term);
  txn.commit();
}

}  // namespace roomtemp

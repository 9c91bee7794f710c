#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/connection>
#include <string>

namespace roomtemp {

/// The row of table cluster_lease (sql/008_cluster_lease.sql) that says which instance of a
/// group is active: taken when it has expired, renewed by its holder, given back at a clean
/// stop. Every time is PostgreSQL's clock (clock_timestamp()), so machines' clocks never have
/// to agree; the holder's own deadline is measured on its own clock (app/cluster.h).
class LeaseTable {
 public:
  /// `group` is cluster.name; `holder` names this instance (unique per process). A statement
  /// that takes longer than `timeout` fails (a renewal that late is useless anyway), and so
  /// does a transaction this side leaves waiting for as long (PostgreSQL ends the session).
  LeaseTable(std::string group, std::string holder, std::chrono::milliseconds timeout)
      : group_(std::move(group)), holder_(std::move(holder)), timeout_(timeout) {}

  /// What try_acquire found.
  struct Attempt {
    bool acquired = false;
    std::int64_t term = 0;      ///< the term this instance holds now (when acquired)
    std::string holder;         ///< the holder now: this instance, or the live one it found
    std::string previous;       ///< when acquired: the holder before ("" for the first)
    std::int64_t handover = 0;  ///< the group's handover count
  };
  /// Takes the lease for `length` when nobody holds it or its holder's has expired.
  Attempt try_acquire(pqxx::connection& conn, std::chrono::milliseconds length) const;
  /// Extends the lease of `term` by `length` from now and returns the group's handover count;
  /// nullopt when the lease is no longer ours (it expired, and perhaps another instance took it).
  std::optional<std::int64_t> renew(pqxx::connection& conn, std::int64_t term,
                                    std::chrono::milliseconds length) const;
  /// Says that this instance, not the active, wrote readings the active has not seen.
  void hand_over(pqxx::connection& conn) const;
  /// Ends the lease of `term` now, so that a standby takes over at its next look.
  void release(pqxx::connection& conn, std::int64_t term) const;

  const std::string& holder() const { return holder_; }

 private:
  std::string group_;
  std::string holder_;
  std::chrono::milliseconds timeout_;
};

}  // namespace roomtemp

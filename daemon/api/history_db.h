#pragma once
#include <functional>
#include <optional>
#include <pqxx/pqxx>
#include <utility>

namespace roomtemp {

struct HttpDeps;

/// Runs `query` in a read-only transaction on the calling HTTP worker's own PostgreSQL
/// connection (opened at first use, reopened when the DSN changed), bounded by a statement
/// timeout. A connection that broke since its last use is replaced once; PostgreSQL
/// unreachable or the timeout hit throws Unavailable (503); other SQL errors propagate (500).
void run_read_only(HttpDeps& deps, const std::function<void(pqxx::transaction_base&)>& query);

/// run_read_only for a query that returns its answer.
template <typename Query>
auto read_only(HttpDeps& deps, Query&& query) {
  std::optional<decltype(query(std::declval<pqxx::transaction_base&>()))> answer;
  run_read_only(deps, [&](pqxx::transaction_base& txn) { answer.emplace(query(txn)); });
  return std::move(*answer);
}

}  // namespace roomtemp

#pragma once
// The figures of history questions — an average over [from, to), a series' steps — from the
// hourly and daily rollups wherever the range allows and from the raw readings for the rest
// (core/history_plan.h), with the same numbers either way (README, REST API).
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

#include "aggregator.h"
#include "timeutil.h"
#include "window.h"

namespace roomtemp {

/// Throws NotFound when the series has never had a reading (an empty range of a known room is
/// not an error): a series is a row of `series` from its first stored reading on.
void require_known(pqxx::transaction_base& txn, const SeriesKey& key);

/// Raw readings stamped before this were dropped by retention (retention.readings); the
/// smallest Micros while none were.
Micros raw_horizon(pqxx::transaction_base& txn);

/// The boundaries of the steps of `step` µs from `from` to `to`: from + k·step, the last one
/// `to` (the last step may be shorter). With a time zone and a step of whole days the steps are
/// calendar days of that zone counted from `from` (across a change of summer time a day lasts 23
/// or 25 hours). Throws BadRequest for a zone PostgreSQL does not know or for more than
/// kMaxSeriesPoints steps.
std::vector<Micros> step_boundaries(pqxx::transaction_base& txn, Micros from, Micros to,
                                    Micros step, const std::optional<std::string>& tz);

/// Count, sum, min and max of a room's metric (key.room set) or a building's (key.room empty)
/// over each step between `boundaries`, `from` and `to` set. Throws BadRequest when part of the
/// range must come from raw readings that retention dropped (naming the horizon).
std::vector<WindowStats> step_figures(pqxx::transaction_base& txn, const SeriesKey& key,
                                      const std::vector<Micros>& boundaries);

}  // namespace roomtemp

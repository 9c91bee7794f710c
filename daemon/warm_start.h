#pragma once
#include <pqxx/connection>
#include <vector>

#include "aggregator.h"

namespace roomtemp {

/// Reads, per configured window, the buckets of the live windows from `readings`, so that a
/// restarted daemon publishes the same averages it would have without the restart.
std::vector<WarmBucket> load_warm_buckets(pqxx::connection& conn,
                                          const std::vector<Duration>& windows, Micros now);

}  // namespace roomtemp

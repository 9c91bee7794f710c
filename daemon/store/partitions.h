#pragma once
// The daily partitions of readings_raw: made ahead of time, and compacted once their day has
// closed (docs/database.md, "Partitions").
#include <pqxx/connection>
#include <string>
#include <vector>

namespace roomtemp {

/// A daily partition of readings_raw: readings_raw_pYYYYMMDD holds one UTC day.
struct RawDay {
  std::string table;
  std::string day;  ///< YYYY-MM-DD
};

/// Creates the daily partitions from yesterday to a week ahead that are missing. Returns how
/// many it created.
int ensure_partitions(pqxx::connection& conn);

/// Every daily partition, oldest first.
std::vector<RawDay> daily_partitions(pqxx::connection& conn);

/// The days that have closed (their end an hour past) and whose unique key has not been
/// compacted since, oldest first.
std::vector<RawDay> days_to_compact(pqxx::connection& conn);

/// Rebuilds the unique key of `day`'s partition with full pages and records that it did.
/// Readings of many series arriving interleaved leave a btree's pages about half empty; the
/// rebuild takes a day's key from about 42 to 31 bytes a reading. REINDEX CONCURRENTLY: late
/// readings for that day go in meanwhile. Takes a while (seconds per million rows).
void compact_day(pqxx::connection& conn, const RawDay& day);

}  // namespace roomtemp

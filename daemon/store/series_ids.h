#pragma once
// The small integer ids readings are stored under: a series (building, room, metric) and a
// sensor id (docs/database.md, "How readings are stored").
#include <cstdint>
#include <pqxx/connection>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reading.h"

namespace roomtemp {

/// The ids of one reading's row in readings_raw.
struct RowIds {
  std::int32_t series = 0;
  std::int32_t sensor = 0;  ///< 0: the reading has no sensor id
};

/// The writer's cache of series and sensor ids. Ids never change once given (roomtempd never
/// deletes a series or a sensor), so the cache only grows; it is emptied on a new connection,
/// which may be to another database.
class SeriesIds {
 public:
  /// The ids of every reading of `batch`, in its order (rejections are skipped). Ids not
  /// cached yet are looked up, and created when new, in a transaction of their own that
  /// commits before the batch's: a batch that fails later must not leave the cache holding
  /// ids that were rolled back.
  std::vector<RowIds> resolve(pqxx::connection& conn, const std::vector<Inbound>& batch);

  void clear();
  std::size_t series_count() const { return series_.size(); }

 private:
  void fetch_series(pqxx::connection& conn, const std::vector<const Reading*>& missing);
  void fetch_sensors(pqxx::connection& conn, const std::vector<std::string>& missing);

  std::unordered_map<std::string, std::int32_t> series_;
  std::unordered_map<std::string, std::int32_t> sensors_;
};

/// A PostgreSQL array literal of text ('{"a","b"}'), for `$1::text[]` (libpqxx 6 has no
/// conversion from a container).
std::string text_array(const std::vector<std::string_view>& items);

}  // namespace roomtemp

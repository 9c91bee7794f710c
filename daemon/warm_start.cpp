#include "warm_start.h"

#include <pqxx/pqxx>

namespace roomtemp {

std::vector<WarmBucket> load_warm_buckets(pqxx::connection& conn,
                                          const std::vector<Duration>& windows, Micros now) {
  std::vector<WarmBucket> rows;
  pqxx::read_transaction txn(conn);
  for (std::size_t w = 0; w < windows.size(); ++w) {
    Window win(std::chrono::duration_cast<std::chrono::microseconds>(windows[w]).count());
    const std::int64_t head = win.bucket_of(now);
    const Micros to = (head + 1) * win.bucket_width();
    const Micros from = to - win.length();
    auto result = txn.exec_params(
        "SELECT building, room, metric,"
        " floor(extract(epoch FROM ts) * 1000000 / $1)::bigint,"
        " sum(value), min(value), max(value), count(*)"
        " FROM readings WHERE ts >= $2 AND ts < $3 GROUP BY 1, 2, 3, 4",
        win.bucket_width(), format_rfc3339(from), format_rfc3339(to));
    for (const auto& row : result) {
      WarmBucket b;
      b.building = row[0].as<std::string>();
      b.room = row[1].as<std::string>();
      b.metric = row[2].as<std::string>();
      b.window = w;
      b.bucket = row[3].as<std::int64_t>();
      b.numbers.sum = row[4].as<double>();
      b.numbers.min = row[5].as<double>();
      b.numbers.max = row[6].as<double>();
      b.numbers.count = row[7].as<std::uint32_t>();
      rows.push_back(std::move(b));
    }
  }
  return rows;
}

}  // namespace roomtemp

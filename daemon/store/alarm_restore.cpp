#include "alarm_restore.h"

#include <algorithm>
#include <pqxx/pqxx>

namespace roomtemp {

AlarmRestore load_alarm_restore(pqxx::connection& conn, const std::vector<std::string>& metrics) {
  AlarmRestore out;
  pqxx::read_transaction txn(conn);
  const auto states = txn.exec(
      "SELECT DISTINCT ON (building, room, metric, alarm) building, room, metric, alarm, state,"
      " (extract(epoch FROM ts) * 1000000)::bigint, value,"
      " (extract(epoch FROM last_reading) * 1000000)::bigint, threshold,"
      " (extract(epoch FROM window_length) * 1000)::bigint, rule"
      " FROM alarm_events ORDER BY building, room, metric, alarm, ts DESC, id DESC");
  out.states.reserve(states.size());
  for (const auto& row : states) {
    StoredAlarmState st;
    st.key = {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()};
    st.alarm = row[3].as<std::string>();
    st.state = row[4].as<std::string>();
    st.ts = row[5].as<Micros>();
    if (!row[6].is_null()) st.value = row[6].as<double>();
    if (!row[7].is_null()) st.last_reading = row[7].as<Micros>();
    if (!row[8].is_null() && !row[9].is_null()) {
      st.threshold = row[8].as<double>();
      st.window = Duration(row[9].as<std::int64_t>());
    }
    if (!row[10].is_null()) st.rule = row[10].as<std::string>();
    out.states.push_back(std::move(st));
  }
  const auto series = txn.exec("SELECT building, room, metric FROM series");
  for (const auto& row : series) {
    SeriesKey key{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()};
    if (key.room.empty()) continue;
    if (std::find(metrics.begin(), metrics.end(), key.metric) == metrics.end()) continue;
    out.series.push_back(std::move(key));
  }
  return out;
}

}  // namespace roomtemp

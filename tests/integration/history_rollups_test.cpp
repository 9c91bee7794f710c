// History from the rollups (README, REST API): averages and series of a room or a building give
// the numbers SQL over the raw readings gives, for random ranges and steps — from the rollups
// where the range allows, right after the readings are stored (before any fold) too; steps of
// local days with `tz`, across a change of summer time; before the raw horizon, whole hours
// still answer as before the raw readings were dropped, while readings and histograms answer
// 400 naming the horizon; a building's histogram.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;

/// `answer` says what `before` said: the same fields and values, the avg "to the last bits of a
/// double's sum" (README "History from the rollups"; 1e-9 relative). Asked again, PostgreSQL may
/// add the same floats in another order (another plan, on a loaded machine), which moves them.
void expect_same_answer(const json& answer, const json& before, const std::string& where) {
  if (answer.is_object() && before.is_object()) {
    EXPECT_EQ(answer.size(), before.size()) << where << ": " << answer << " vs " << before;
    for (const auto& [key, value] : before.items()) {
      if (!answer.contains(key)) {
        ADD_FAILURE() << where << ": no " << key << " in " << answer;
      } else if (key == "avg" && value.is_number() && answer[key].is_number()) {
        EXPECT_TRUE(close_relative(answer[key].get<double>(), value.get<double>()))
            << where << ": avg " << answer[key] << " vs " << value;
      } else {
        expect_same_answer(answer[key], value, where + "." + key);
      }
    }
  } else if (answer.is_array() && before.is_array()) {
    ASSERT_EQ(answer.size(), before.size()) << where << ": " << answer << " vs " << before;
    for (std::size_t i = 0; i < before.size(); ++i)
      expect_same_answer(answer[i], before[i], where + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(answer, before) << where;
  }
}

class HistoryRollupsTest : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_daemon("hrollups"));
    // Six days back to now: rooms 101–103 of B1 and 201 of B2, a reading every 7 minutes,
    // values that need every digit.
    query(
        "INSERT INTO readings (ts, building, room, metric, value, sensor_id)"
        " SELECT now() - i * interval '7 minutes' - r * interval '13 seconds',"
        "        CASE WHEN r = 3 THEN 'B2' ELSE 'B1' END,"
        "        CASE WHEN r = 3 THEN '201' ELSE (101 + r)::text END, 'temperature',"
        "        round((15 + 10 * sin(i / 50.0 + r) + 1.0 / 3)::numeric, 6)::float8,"
        "        CASE WHEN i % 3 = 0 THEN 's' || r END"
        " FROM generate_series(0, 6 * 24 * 60 / 7) i, generate_series(0, 3) r");
  }

  /// SQL's figures over the raw readings for the steps between `boundaries`.
  Rows raw_steps(const std::string& building, const std::string& room,
                 const std::vector<std::int64_t>& b) {
    std::string from = "{", to = "{";
    for (std::size_t i = 0; i + 1 < b.size(); ++i) {
      from += (i ? "," : "") + std::to_string(b[i]);
      to += (i ? "," : "") + std::to_string(b[i + 1]);
    }
    return query(
        "SELECT count(r.value), sum(r.value), min(r.value), max(r.value)"
        " FROM unnest('" +
        from + "}'::bigint[], '" + to +
        "}'::bigint[]) WITH ORDINALITY"
        "  AS s(a, b, n)"
        " LEFT JOIN readings r ON r.building = '" +
        building + "'" + (room.empty() ? "" : " AND r.room = '" + room + "'") +
        " AND r.metric = 'temperature'"
        " AND r.ts >= timestamptz 'epoch' + s.a * interval '1 microsecond'"
        " AND r.ts < timestamptz 'epoch' + s.b * interval '1 microsecond'"
        " GROUP BY s.n ORDER BY s.n");
  }

  std::string path(const std::string& building, const std::string& room, const std::string& what) {
    return "/v1/buildings/" + building + (room.empty() ? "" : "/rooms/" + room) + "/temperature/" +
           what;
  }

  json get_json(const std::string& p, int status = 200) {
    const HttpResponse r = daemon_->http_get(p, 10s);
    EXPECT_EQ(r.status, status) << p << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  /// Expects an answer's count, min, max and avg to be SQL's (avg to 1e-9 relative).
  static void expect_same(const json& point, const Row& sql, const std::string& where) {
    const long long count = std::stoll(sql[0]);
    ASSERT_EQ(point["count"].get<long long>(), count) << where;
    if (count == 0) {
      EXPECT_TRUE(point["avg"].is_null()) << where;
      return;
    }
    EXPECT_EQ(point["min"].get<double>(), std::stod(sql[2])) << where;
    EXPECT_EQ(point["max"].get<double>(), std::stod(sql[3])) << where;
    const double avg = std::stod(sql[1]) / static_cast<double>(count);
    EXPECT_NEAR(point["avg"].get<double>(), avg, 1e-9 * std::abs(avg)) << where;
  }
};

TEST_F(HistoryRollupsTest, SeriesAndAveragesEqualSqlOverRawReadingsForRandomRangesAndSteps) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  const std::int64_t now = now_micros();
  const std::int64_t start = now - 6 * kDay;
  const std::vector<std::int64_t> steps = {kHour,    3 * kHour,    kDay,
                                           2 * kDay, 90 * kMinute, 15 * kMinute};
  const std::vector<std::string> step_text = {"1h", "3h", "1d", "2d", "90m", "15m"};
  const std::vector<std::pair<std::string, std::string>> keys = {
      {"B1", "101"}, {"B1", "103"}, {"B1", ""}, {"B2", ""}};
  for (int c = 0; c < 24; ++c) {
    const std::size_t k = random() % steps.size();
    const auto& [building, room] = keys[random() % keys.size()];
    // Half the ranges on whole hours (all rollups), half anywhere (rollups and raw ends).
    std::int64_t from = start + static_cast<std::int64_t>(random() % (5 * kDay));
    std::int64_t span = steps[k] * static_cast<std::int64_t>(1 + random() % 30);
    if (c % 2 == 0) from = from / kHour * kHour;
    const std::int64_t to = std::min(from + span, now + kMinute);
    std::vector<std::int64_t> b;
    for (std::int64_t t = from; t < to; t += steps[k]) b.push_back(t);
    b.push_back(to);
    const std::string where = building + "/" + room + " " + rfc3339(from, 0, 6) + ".." +
                              rfc3339(to, 0, 6) + " step " + step_text[k];
    const json series = get_json(path(building, room, "series") + "?from=" + rfc3339(from, 0, 6) +
                                 "&to=" + rfc3339(to, 0, 6) + "&step=" + step_text[k]);
    const Rows sql = raw_steps(building, room, b);
    ASSERT_EQ(series.size(), sql.size()) << where;
    for (std::size_t i = 0; i < sql.size(); ++i)
      expect_same(series[i], sql[i], where + " step " + std::to_string(i));
    // The average over the whole range.
    if ((to - from) % 1000 == 0) {
      const json average = get_json(path(building, room, "average") +
                                    "?from=" + rfc3339(from, 0, 6) + "&to=" + rfc3339(to, 0, 6));
      expect_same(average, raw_steps(building, room, {from, to}).at(0), where + " average");
    }
  }
}

TEST_F(HistoryRollupsTest, StepsOfLocalDaysFollowSummerTimeAndStayExact) {
  // Hourly readings around Europe's change to summer time (2026-03-29).
  query(
      "INSERT INTO readings (ts, building, room, metric, value)"
      " SELECT '2026-03-26T00:00:00Z'::timestamptz + i * interval '20 minutes', 'B1', '101',"
      "        'temperature', (i % 37) / 4.0 FROM generate_series(0, 7 * 72) i");
  const std::vector<std::int64_t> zurich = {
      1774652400LL * kSecond,  // 2026-03-27T23:00Z, local midnight (CET)
      1774738800LL * kSecond,  // 2026-03-28T23:00Z
      1774821600LL * kSecond,  // 2026-03-29T22:00Z: the day of the change has 23 hours
      1774908000LL * kSecond,  // 2026-03-30T22:00Z
  };
  const json local = get_json(path("B1", "101", "series") + "?from=2026-03-27T23:00:00Z" +
                              "&to=2026-03-30T22:00:00Z&step=1d&tz=Europe/Zurich");
  ASSERT_EQ(local.size(), 3u) << local.dump();
  const Rows sql = raw_steps("B1", "101", zurich);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(local[i]["from"], rfc3339(zurich[i], 0, 0));
    EXPECT_EQ(local[i]["to"], rfc3339(zurich[i + 1], 0, 0));
    expect_same(local[i], sql[i], "Zurich day " + std::to_string(i));
  }
  // A zone half an hour off: its midnights are not whole UTC hours, so the ends come from raw
  // readings, with the same exactness.
  const std::vector<std::int64_t> kolkata = {1774636200LL * kSecond,   // 2026-03-27T18:30Z
                                             1774722600LL * kSecond,   // 2026-03-28T18:30Z
                                             1774809000LL * kSecond};  // 2026-03-29T18:30Z
  const json india = get_json(path("B1", "", "series") + "?from=2026-03-27T18:30:00Z" +
                              "&to=2026-03-29T18:30:00Z&step=1d&tz=Asia/Kolkata");
  ASSERT_EQ(india.size(), 2u) << india.dump();
  const Rows sql_india = raw_steps("B1", "", kolkata);
  for (std::size_t i = 0; i < 2; ++i) expect_same(india[i], sql_india[i], "Kolkata day");
  // Without tz, a day is 24 hours from `from`.
  const json utc = get_json(path("B1", "101", "series") +
                            "?from=2026-03-27T23:00:00Z&to=2026-03-30T23:00:00Z&step=1d");
  ASSERT_EQ(utc.size(), 3u);
  EXPECT_EQ(utc[2]["from"], "2026-03-29T23:00:00Z");
  const json bad = get_json(path("B1", "101", "series") + "?step=1d&tz=Mars/Olympus", 400);
  EXPECT_NE(bad["error"].get<std::string>().find("Mars/Olympus"), std::string::npos);
}

TEST_F(HistoryRollupsTest, BeforeTheRawHorizonWholeHoursAnswerAsBeforeAndRawQuestionsAre400) {
  // Whole-hour questions over days 5 to 3 back, asked while the raw readings are there.
  const std::int64_t today = now_micros() / kDay * kDay;
  const std::string range = "?from=" + rfc3339(today - 5 * kDay, 0, 0) +
                            "&to=" + rfc3339(today - 3 * kDay + 7 * kHour, 0, 0);
  const std::vector<std::string> questions = {
      path("B1", "101", "series") + range + "&step=1h",
      path("B1", "102", "series") + range + "&step=1d",
      path("B1", "", "series") + range + "&step=6h",
      path("B1", "103", "average") + range,
      path("B2", "", "average") + range,
      path("B1", "101", "series") + range + "&step=1d&tz=Europe/Zurich"};
  std::vector<json> before;
  for (const auto& q : questions) before.push_back(get_json(q));

  // Raw readings kept two days, by a reload.
  std::string config = read_file(daemon_->config_path());
  daemon_->write_config(config + "retention:\n  readings: 2d\n");
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] {
        return count("SELECT count(*) FROM readings WHERE ts < now() - interval '3 days'") == 0;
      },
      30s, 100ms))
      << daemon_->log();
  for (std::size_t i = 0; i < questions.size(); ++i)
    expect_same_answer(get_json(questions[i]), before[i], questions[i]);

  const std::string horizon = rfc3339(today - 2 * kDay, 0, 0);
  for (const std::string& q :
       {path("B1", "101", "readings") + range, path("B1", "101", "histogram") + range,
        path("B1", "", "histogram") + range,
        path("B1", "101", "series") + "?from=" + rfc3339(today - 5 * kDay + kMinute, 0, 0) +
            "&step=1h"}) {
    const json answer = get_json(q, 400);
    EXPECT_NE(answer["error"].get<std::string>().find(horizon), std::string::npos)
        << q << ": " << answer.dump();
  }
}

TEST_F(HistoryRollupsTest, ABuildingsHistogramCountsEveryRoomsValues) {
  const std::int64_t to = now_micros() / kSecond * kSecond;
  const std::int64_t from = to - 2 * kDay;
  const json h = get_json(path("B1", "", "histogram") + "?from=" + rfc3339(from, 0, 0) +
                          "&to=" + rfc3339(to, 0, 0) + "&bins=7");
  const Rows sql = query(
      "WITH r AS (SELECT value FROM readings WHERE building = 'B1' AND ts >= '" +
      rfc3339(from, 0, 0) + "' AND ts < '" + rfc3339(to, 0, 0) +
      "'), b AS (SELECT min(value) lo, max(value) hi FROM r)"
      " SELECT least(width_bucket(value, lo, hi, 7), 7), count(*) FROM r, b GROUP BY 1 ORDER BY 1");
  ASSERT_EQ(h["counts"].size(), 7u) << h.dump();
  long long total = 0;
  for (const Row& row : sql) {
    EXPECT_EQ(h["counts"][std::stoi(row[0]) - 1].get<long long>(), std::stoll(row[1]));
    total += std::stoll(row[1]);
  }
  EXPECT_EQ(total, count("SELECT count(*) FROM readings WHERE building = 'B1' AND ts >= '" +
                         rfc3339(from, 0, 0) + "' AND ts < '" + rfc3339(to, 0, 0) + "'"));
  EXPECT_GT(total, 1000);
}

}  // namespace
}  // namespace roomtemp::harness

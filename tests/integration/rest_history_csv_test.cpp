// History over REST as CSV (README, REST API): readings and series answer CSV that says what
// their JSON says, JSON unless CSV is asked for, and errors stay JSON. Same daemon and readings
// as rest_history_test (rest_history_fixture.h).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rest_history_fixture.h"

namespace roomtemp::harness {
namespace {

/// A strict RFC 4180 parser: records end with CRLF (the last one too), a field is either bare
/// (no comma, quote, CR or LF) or quoted with its quotes doubled. Fails the test on anything
/// else and returns what it read.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) {
          ADD_FAILURE() << "unterminated quoted field";
          return records;
        }
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (text[i] == '"') {
          ++i;
          break;
        } else {
          field += text[i];
        }
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        EXPECT_NE(text[i], '"') << "a quote inside a bare field at " << i;
        field += text[i++];
      }
    }
    record.push_back(std::move(field));
    field.clear();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (text.compare(i, 2, "\r\n") != 0) {
      ADD_FAILURE() << "a record does not end with CRLF at byte " << i;
      return records;
    }
    i += 2;
    records.push_back(std::move(record));
    record.clear();
  }
  EXPECT_TRUE(record.empty()) << "the last record has no CRLF";
  return records;
}

/// A number field as the JSON answer gives it: empty for null, else the exact same double.
void expect_same_number(const std::string& field, const nlohmann::ordered_json& value) {
  if (value.is_null()) {
    EXPECT_EQ(field, "");
    return;
  }
  char* end = nullptr;
  const double parsed = std::strtod(field.c_str(), &end);
  EXPECT_EQ(end, field.c_str() + field.size()) << "not a number: " << field;
  EXPECT_EQ(parsed, value.get<double>()) << field << " vs " << value;
}

/// Compares a CSV answer with the JSON answer of the same query: the header is the JSON
/// objects' keys in order, one record per object, each field what its value is (strings
/// as they are, numbers to the last bit, null empty).
void expect_csv_equals_json(const std::string& csv, const nlohmann::ordered_json& list) {
  const auto records = parse_csv(csv);
  ASSERT_TRUE(list.is_array()) << list;
  ASSERT_FALSE(list.empty()) << "compare something";
  ASSERT_EQ(records.size(), list.size() + 1) << csv;
  std::vector<std::string> keys;
  for (const auto& [key, value] : list[0].items()) keys.push_back(key);
  EXPECT_EQ(records[0], keys);
  for (std::size_t r = 0; r < list.size(); ++r) {
    SCOPED_TRACE("record " + std::to_string(r + 1) + ": " + list[r].dump());
    ASSERT_EQ(records[r + 1].size(), keys.size());
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const auto& value = list[r][keys[k]];
      const std::string& field = records[r + 1][k];
      if (value.is_string())
        EXPECT_EQ(field, value.get<std::string>()) << keys[k];
      else if (value.is_number_integer())
        EXPECT_EQ(field, std::to_string(value.get<long long>())) << keys[k];
      else
        expect_same_number(field, value);
    }
  }
}

/// The JSON answer of `path` (200 expected) with its keys in the order they were sent.
nlohmann::ordered_json get_ordered(int port, const std::string& path) {
  const HttpResponse r = http_get(port, path);
  EXPECT_EQ(r.status, 200) << path << " → " << r.body;
  return nlohmann::ordered_json::parse(r.body, nullptr, false);
}

/// 2026-11-22T11:00:00Z → 20261122T110000Z, as a download's name spells a time.
std::string compact_time(std::int64_t t) {
  std::string out;
  for (char c : expected_time(t))
    if (c != '-' && c != ':') out += c;
  return out;
}

/// GET with extra headers, through httplib (the harness's http_get sends none).
httplib::Result get_with(int port, const std::string& path, const httplib::Headers& headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10);
  return client.Get(path.c_str(), headers);
}

TEST_F(RestHistoryTest, ReadingsAnswerCsvThatMatchesTheirJson) {
  // 62 minutes: readings without sensor_id (empty fields), the one with microseconds, ties.
  const std::int64_t from = t0_, to = t0_ + 62 * kMinute;
  const std::string path = room_path("B1", "101", "readings?" + range_query(from, to));
  const auto list = get_ordered(daemon_->http_port(), path);
  ASSERT_EQ(list.size(), select("B1", "101", from, to).size());
  const std::string name =
      "B1_101_temperature_readings_" + compact_time(from) + "_" + compact_time(to) + ".csv";
  std::string body;
  for (const auto& [query, headers] : std::vector<std::pair<std::string, httplib::Headers>>{
           {"", {{"Accept", "text/csv"}}},
           {"&format=csv", {}},
           {"&format=csv", {{"Accept", "application/json"}}},
           {"", {{"Accept", "application/json;q=0.5, text/csv"}}}}) {
    SCOPED_TRACE(query + " " + (headers.empty() ? "" : headers.begin()->second));
    auto res = get_with(daemon_->http_port(), path + query, headers);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/csv; charset=utf-8");
    EXPECT_EQ(res->get_header_value("Content-Disposition"),
              "attachment; filename=\"" + name + "\"");
    EXPECT_FALSE(res->has_header("X-Truncated"));
    expect_csv_equals_json(res->body, list);
    if (!body.empty()) {
      EXPECT_EQ(res->body, body) << "the same query, the same CSV";
    }
    body = res->body;
  }

  // The limit and X-Truncated as in JSON.
  auto limited = get_with(daemon_->http_port(), path + "&limit=5&format=csv", {});
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->get_header_value("X-Truncated"), "true");
  expect_csv_equals_json(limited->body, get_ordered(daemon_->http_port(), path + "&limit=5"));

  // A known room with no readings in the range: the header alone.
  auto none = get_with(
      daemon_->http_port(),
      room_path("B1", "101", "readings?format=csv&" + range_query(t0_ - 3600 * kSecond, t0_)), {});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 200);
  const auto records = parse_csv(none->body);
  ASSERT_EQ(records.size(), 1u) << none->body;
  EXPECT_EQ(records[0], (std::vector<std::string>{"ts", "value", "sensor_id", "received_at"}));
}

TEST_F(RestHistoryTest, SeriesAnswerCsvThatMatchesTheirJson) {
  // Two empty steps (null numbers), steps with readings, a last step cut short at `to`.
  const std::int64_t from = t0_ - 2 * 3600 * kSecond, to = t0_ + 70 * kMinute;
  const std::string path = room_path("B1", "101", "series?" + range_query(from, to) + "&step=20m");
  const auto points = get_ordered(daemon_->http_port(), path);
  ASSERT_EQ(points.size(), 10u) << points;
  EXPECT_TRUE(points[0]["avg"].is_null());
  auto res = get_with(daemon_->http_port(), path, {{"Accept", "text/csv"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(res->get_header_value("Content-Disposition"),
            "attachment; filename=\"B1_101_temperature_series_" + compact_time(from) + "_" +
                compact_time(to) + ".csv\"");
  expect_csv_equals_json(res->body, points);
}

TEST_F(RestHistoryTest, JsonUnlessCsvIsAskedForAndErrorsStayJson) {
  const std::string r = range_query(t0_, t0_ + 10 * kMinute);
  const std::string readings = room_path("B1", "101", "readings?" + r);
  const json list = get(readings);
  const auto is_json_list = [&](const std::string& query, const httplib::Headers& headers) {
    auto res = get_with(daemon_->http_port(), readings + query, headers);
    if (!res || res->status != 200) return false;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << query;
    EXPECT_FALSE(res->has_header("Content-Disposition")) << query;
    return json::parse(res->body, nullptr, false) == list;
  };
  EXPECT_TRUE(is_json_list("", {}));
  EXPECT_TRUE(is_json_list("&format=json", {}));
  EXPECT_TRUE(is_json_list("&format=json", {{"Accept", "text/csv"}}));
  EXPECT_TRUE(is_json_list("", {{"Accept", "*/*"}}));
  EXPECT_TRUE(is_json_list("", {{"Accept", "text/csv;q=0.5, application/json"}}));
  EXPECT_TRUE(is_json_list("", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}}));

  // An unknown format is a 400, whatever Accept says; the error is JSON.
  for (const std::string format : {"xml", "", "CSV", "csv,json"})
    expect_error(readings + "&format=" + format, 400);
  // Errors of a CSV request are JSON too.
  for (const auto& [path, status] : std::vector<std::pair<std::string, int>>{
           {room_path("B1", "999", "readings?" + r), 404},
           {room_path("B1", "101", "series?" + r + "&step=abc"), 400},
           {room_path("B1", "101", "readings?" + r + "&limit=0"), 400}}) {
    auto res = get_with(daemon_->http_port(), path + "&format=csv", {{"Accept", "text/csv"}});
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, status) << path << " → " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    EXPECT_TRUE(json::parse(res->body, nullptr, false).contains("error")) << res->body;
  }

  // Averages and histograms are one object, not rows: JSON only. format=csv is a 400 there;
  // Accept: text/csv still gets the JSON.
  const std::string average = room_path("B1", "101", "average?" + r);
  const std::string histogram = room_path("B1", "101", "histogram?" + r);
  for (const std::string& path : {average, histogram, room_path("B1", "101", "average?window=1m"),
                                  std::string("/v1/buildings/B1/temperature/average?") + r}) {
    expect_error(path + "&format=csv", 400);
    auto res = get_with(daemon_->http_port(), path, {{"Accept", "text/csv"}});
    ASSERT_TRUE(res);
    EXPECT_NE(res->get_header_value("Content-Type").find("application/json"), std::string::npos)
        << path;
  }
  EXPECT_EQ(get(average + "&format=json"), get(average));
  EXPECT_EQ(get(histogram + "&format=json"), get(histogram));
}

}  // namespace
}  // namespace roomtemp::harness

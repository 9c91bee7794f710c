// Hostile input over REST at a running roomtempd while a steady publisher
// feeds good readings for 20 rooms: POST /v1/readings and POST /temperature with bad JSON,
// deep JSON, huge bodies, NUL and invalid UTF-8 in ids get 4xx with a reason, or 202 naming
// each item's reason; the daemon keeps running and the good readings are whole.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "hostile.h"
#include "validate.h"

namespace roomtemp::harness {
namespace {

using namespace hostile;

struct BadPost {
  std::string what, path, body;
  int status;          // the answer's status
  std::string reason;  // the rejection's reason, "" when the request itself is refused
};

TEST_F(HostileTest, RestHostileInputIsRefusedWithAReason) {
  ASSERT_NO_FATAL_FAILURE(start_daemon("hostile_rest", {.log_level = "info"}));
  const int port = daemon_->http_port();
  MqttClient watcher(broker_.port());
  watcher.subscribe("buildings/+/rooms/+/temperature/average/1h", 1);
  constexpr int kSteady = 600;
  SteadyPublisher steady(broker_.port(), steady_readings(kSteady), 100);

  const std::string ok = R"("building_id": "R1", "room_id": "r1", )";
  const std::vector<BadPost> cases = {
      // First, so that the log's rate limit lets its line through: a newline in what the
      // detail quotes must not forge a second log line.
      {"newline in the metric", "/v1/readings",
       "{" + ok + R"("metric": "x\nerror ingest: forged", "value": 21})", 202, "unknown_metric"},
      {"not JSON", "/v1/readings", "{not json", 400, ""},
      {"empty body", "/v1/readings", "", 400, ""},
      {"raw NUL in a string", "/v1/readings",
       std::string("{\"building_id\": \"R\0\", \"room_id\": \"r\", \"temperature\": 21}", 51), 400,
       ""},
      {"invalid UTF-8", "/v1/readings",
       "{\"building_id\": \"\xff\xfe\", \"room_id\": \"r\", \"temperature\": 21}", 400, ""},
      {"100k [ unclosed", "/v1/readings", std::string(100'000, '['), 400, ""},
      {"2 MB body", "/v1/readings",
       "{" + ok + "\"temperature\": 21, \"pad\": \"" + std::string(2 << 20, 'x') + "\"}", 400, ""},
      {"NaN literal", "/v1/readings", "{" + ok + "\"temperature\": NaN}", 400, ""},
      {"1e400", "/v1/readings", "{" + ok + "\"temperature\": 1e400}", 400, ""},
      {"escaped NUL in building_id", "/v1/readings",
       R"({"building_id": "R\u0000", "room_id": "r1", "temperature": 21})", 202, "bad_id"},
      {"escaped NUL in room_id", "/v1/readings",
       R"({"building_id": "R1", "room_id": "\u0000", "temperature": 21})", 202, "bad_id"},
      {"escaped NUL in sensor_id", "/v1/readings",
       "{" + ok + R"("temperature": 21, "sensor_id": "s\u0000"})", 202, "bad_id"},
      {"escaped NUL in the metric", "/v1/readings",
       "{" + ok + R"("metric": "temp\u0000erature", "value": 21})", 202, "unknown_metric"},
      {"10 KB metric", "/v1/readings",
       "{" + ok + R"("metric": ")" + std::string(10'240, 'm') + R"(", "value": 21})", 202,
       "unknown_metric"},
      {"multi-byte metric", "/v1/readings",
       "{" + ok + R"("metric": ")" + repeat("€", 40) + R"(", "value": 21})", 202, "unknown_metric"},
      {"10 KB building_id", "/v1/readings",
       R"({"building_id": ")" + std::string(10'240, 'b') + R"(", "room_id": "r1", "value": 21})",
       202, "bad_id"},
      {"/ in room_id", "/v1/readings", R"({"building_id": "R1", "room_id": "a/b", "value": 21})",
       202, "bad_id"},
      {"value is a string", "/v1/readings", "{" + ok + R"("temperature": "21"})", 202,
       "bad_payload"},
      {"missing value", "/v1/readings", "{" + ok + R"("timestamp": 1700000000})", 202,
       "bad_payload"},
      {"1e308", "/v1/readings", "{" + ok + R"("temperature": 1e308})", 202, "out_of_range"},
      {"year 0", "/v1/readings",
       "{" + ok + R"("temperature": 21, "timestamp": "0000-01-01T00:00:00Z"})", 202,
       "bad_timestamp"},
      {"year 1900", "/v1/readings",
       "{" + ok + R"("temperature": 21, "timestamp": "1900-01-01T00:00:00Z"})", 202,
       "bad_timestamp"},
      {"negative epoch", "/v1/readings", "{" + ok + R"("temperature": 21, "timestamp": -5})", 202,
       "bad_timestamp"},
      {"year 9999", "/v1/readings",
       "{" + ok + R"("temperature": 21, "timestamp": "9999-12-31T23:59:59Z"})", 202,
       "future_timestamp"},
      {"malformed timestamp", "/v1/readings",
       "{" + ok + R"("temperature": 21, "timestamp": "2024-12-01 noon"})", 202, "bad_timestamp"},
      {"array of non-objects", "/v1/readings", "[1]", 202, "bad_payload"},
      {"10001 items", "/v1/readings", "[" + repeat("{},", 10'000) + "{}]", 400, ""},
      // The legacy shape.
      {"legacy: not JSON", "/temperature", "{not json", 400, ""},
      {"legacy: deep array", "/temperature", std::string(100'000, '[') + std::string(100'000, ']'),
       400, ""},
      {"legacy: 2 MB body", "/temperature",
       R"({"building_id": "R1", "room_id": "r1", "pad": ")" + std::string(2 << 20, 'x') + "\"}",
       400, ""},
      {"legacy: escaped NUL in building_id", "/temperature",
       R"({"building_id": "R\u0000", "room_id": "r1", "temperature": 21})", 400, "bad_id"},
      {"legacy: escaped NUL in room_id", "/temperature",
       R"({"building_id": "R1", "room_id": "r\u0000", "temperature": 21})", 400, "bad_id"},
      {"legacy: escaped NUL in the metric", "/temperature",
       R"({"building_id": "R1", "room_id": "r1", "metric": "\u0000", "value": 21})", 400,
       "unknown_metric"},
      {"legacy: year 0", "/temperature",
       R"({"building_id": "R1", "room_id": "r1", "temperature": 21, "timestamp": "0000-01-01T00:00:00Z"})",
       400, "bad_timestamp"},
      {"legacy: NaN literal", "/temperature",
       R"({"building_id": "R1", "room_id": "r1", "temperature": NaN})", 400, ""},
  };

  std::map<std::string, long long> want;       // rejections by reason
  std::map<std::string, long long> want_rows;  // rejected_readings rows by "topic reason"
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const HttpResponse r = post_answered(port, c.path, c.body);
    if (r.status == 0) return;
    EXPECT_EQ(r.status, c.status) << r.body.substr(0, 300);
    const json body = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object()) << "the answer is not a JSON object: " << r.body.substr(0, 300);
    if (!body.is_object()) continue;
    if (c.reason.empty()) {
      // The request itself is refused: {"error": "…"} says why (for the oversized body, see
      // RestOversizedBodyIsRefusedWithAReason).
      EXPECT_TRUE(body.contains("error") && body["error"].is_string() &&
                  !body["error"].get<std::string>().empty())
          << "no reason: " << r.body.substr(0, 300);
    } else if (c.path == "/v1/readings") {
      EXPECT_EQ(body.value("accepted", -1), 0) << r.body.substr(0, 300);
      ASSERT_TRUE(body.contains("rejected") && body["rejected"].is_array() &&
                  body["rejected"].size() == 1)
          << r.body.substr(0, 300);
      EXPECT_EQ(body["rejected"][0].value("reason", ""), c.reason) << r.body.substr(0, 300);
    } else {
      EXPECT_EQ(body.value("reason", ""), c.reason) << r.body.substr(0, 300);
      EXPECT_TRUE(body.contains("error")) << r.body.substr(0, 300);
    }
    if (!c.reason.empty()) {
      ++want[c.reason];
      ++want_rows["http:POST " + c.path + " " + c.reason];
    }
    EXPECT_TRUE(daemon_->running()) << "roomtempd died";
    if (!daemon_->running()) break;
  }

  const std::string log = daemon_->log();
  EXPECT_NE(
      log.find("rejected http:POST /v1/readings: unknown metric 'x\\x0aerror ingest: forged'"),
      std::string::npos)
      << "the first rejection is not logged, or not with its metric escaped";
  EXPECT_EQ(log.find("\nerror ingest: forged"), std::string::npos) << "input forged a log line";

  // Good readings still go in by both routes.
  EXPECT_EQ(http_post(port, "/v1/readings", "{" + ok + R"("temperature": 21.5})").status, 202);
  EXPECT_EQ(http_post(port, "/temperature",
                      R"({"building_id": "R1", "room_id": "r2", "temperature": 22.5})")
                .status,
            202);
  expect_count_settles("SELECT count(*) FROM readings WHERE building = 'R1'", 2);

  // Every rejected item kept, by reason, and counted.
  long long total = 0;
  for (const auto& [k, n] : want) total += n;
  expect_count_settles("SELECT count(*) FROM rejected_readings", total, 20s);
  std::map<std::string, long long> rows;
  for (const auto& r :
       query("SELECT topic || ' ' || reason, count(*) FROM rejected_readings GROUP BY 1"))
    rows[r[0]] = std::stoll(r[1]);
  EXPECT_EQ(rows, want_rows);
  EXPECT_EQ(rejected_by_reason_metric(*daemon_), want);
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings WHERE octet_length(payload) > " +
                  std::to_string(kMaxRejectedPayloadBytes) + " OR octet_length(topic) > " +
                  std::to_string(kMaxRejectedTopicBytes)),
            0);

  ASSERT_TRUE(steady.wait_done(60s)) << steady.error();
  expect_steady_rooms_whole(watcher, kSteady);
  expect_alive("at the end");
}

// A body over the API's 1 MiB limit: 400 (the README's "REST API" statuses, not HTTP's 413), and
// the answer says the body is too large.
TEST_F(HostileTest, RestOversizedBodyIsRefusedWithAReason) {
  ASSERT_NO_FATAL_FAILURE(start_daemon("hostile_big", {.log_level = "info"}));
  const int port = daemon_->http_port();
  for (const std::string path : {"/v1/readings", "/temperature"}) {
    SCOPED_TRACE(path);
    const HttpResponse r =
        http_post(port, path,
                  R"({"building_id": "R1", "room_id": "r1", "temperature": 21, "pad": ")" +
                      std::string(2 << 20, 'x') + "\"}");
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error") && body["error"].is_string())
        << r.body.substr(0, 300);
    const std::string error = body["error"];
    EXPECT_TRUE(error.find("large") != std::string::npos ||
                error.find("MiB") != std::string::npos || error.find("bytes") != std::string::npos)
        << "the error does not say the body is too large: " << r.body.substr(0, 300);
  }
  expect_alive("at the end");
}

// Deeply nested JSON: nlohmann parses it iteratively, but copies and dumps (the REST handlers
// dump each POSTed item to keep it as the rejection's payload) recurse once per level, and
// 100,000 levels overflow an 8 MB thread stack.
TEST_F(HostileTest, RestDeepJsonIsRefusedNotACrash) {
  ASSERT_NO_FATAL_FAILURE(start_daemon("hostile_deep", {.log_level = "info"}));
  const int port = daemon_->http_port();
  const std::string ok = R"("building_id": "R1", "room_id": "r1", )";
  const std::string deep_array = std::string(100'000, '[') + std::string(100'000, ']');
  struct Case {
    std::string what, path, body;
  };
  const std::vector<Case> cases = {
      {"100k nested arrays", "/v1/readings", deep_array},
      {"500k nested arrays (1 MB)", "/v1/readings",
       std::string(500'000, '[') + std::string(500'000, ']')},
      {"deep JSON beside a reading", "/v1/readings",
       "{" + ok + "\"temperature\": 21, \"x\": " + deep_array + "}"},
      {"an item nested deep", "/v1/readings",
       "[{" + ok + "\"temperature\": 21}, " + deep_array + "]"},
      {"legacy: deep JSON beside a reading", "/temperature",
       "{" + ok + "\"temperature\": 21, \"x\": " + deep_array + "}"},
      {"legacy: deep JSON without a reading", "/temperature", "{\"x\": " + deep_array + "}"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const HttpResponse r = post_answered(port, c.path, c.body);
    if (r.status == 0) return;
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
    const json body = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error")) << r.body.substr(0, 300);
  }
  EXPECT_EQ(http_post(port, "/v1/readings", "{" + ok + R"("temperature": 21.5})").status, 202);
  expect_count_settles("SELECT count(*) FROM readings", 1);
  expect_alive("at the end");
}

}  // namespace
}  // namespace roomtemp::harness

// The CSV answers' pieces (README, REST API): which format a request asks for (format=,
// Accept) and the RFC 4180 writer. The daemon's CSV answers themselves are compared with its
// JSON answers in tests/integration/rest_history_test.cpp.
#include "rest_csv.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "rest_params.h"

namespace roomtemp {
namespace {

constexpr std::array<std::string_view, 2> kHeader = {"a", "b"};

TEST(CsvWriter, QuotesOnlyFieldsThatNeedItAndDoublesTheirQuotes) {
  CsvWriter csv(kHeader);
  csv.text("plain").text("with,comma").end_record();
  csv.text("say \"hi\"").text("two\r\nlines").end_record();
  csv.text("lf\nonly").text("").end_record();
  csv.null().null().end_record();
  EXPECT_EQ(csv.str(),
            "a,b\r\n"
            "plain,\"with,comma\"\r\n"
            "\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
            "\"lf\nonly\",\r\n"
            ",\r\n");
}

TEST(CsvWriter, NumbersReadBackToTheSameDouble) {
  const double values[] = {22.5,
                           0.1,
                           1.0 / 3,
                           -17.125,
                           0,
                           1e-300,
                           5e-324,
                           std::numeric_limits<double>::max(),
                           18.184523809523809,
                           100};
  for (double v : values) {
    CsvWriter csv(kHeader);
    csv.number(v).integer(7).end_record();
    const std::string& text = csv.str();
    const std::string field = text.substr(5, text.find(',', 5) - 5);
    SCOPED_TRACE(field);
    char* end = nullptr;
    EXPECT_EQ(std::strtod(field.c_str(), &end), v);
    EXPECT_EQ(end, field.c_str() + field.size());
    EXPECT_EQ(text.substr(5 + field.size()), ",7\r\n");
  }
}

TEST(CsvWriter, NonFiniteNumbersAreEmptyAndTimesAreRfc3339Utc) {
  CsvWriter csv(kHeader);
  csv.number(std::nan("")).number(HUGE_VAL).end_record();
  const Micros t = 1'795'000'000'123'456;
  csv.time(t).time(t - 123'456).end_record();
  EXPECT_EQ(csv.str(),
            "a,b\r\n,\r\n" + format_rfc3339(t) + "," + format_rfc3339(t - 123'456) + "\r\n");
  EXPECT_EQ(format_rfc3339(t).back(), 'Z');
}

TEST(AcceptHeader, CsvOnlyWhenRankedAboveJson) {
  struct Case {
    const char* accept;
    bool csv;
  };
  const Case cases[] = {
      {"text/csv", true},
      {"TEXT/CSV", true},
      {"text/csv; charset=utf-8", true},
      {"text/*", true},
      {"text/csv, application/json", false},  // a tie is JSON's
      {"application/json, text/csv", false},
      {"text/csv;q=0.9, application/json;q=0.8", true},
      {"text/csv;q=0.5, application/json", false},
      {"application/json;q=0.5, text/csv", true},
      {"text/csv, */*", true},  // named beats matched by */*
      {"*/*", false},
      {"", false},
      {"application/json", false},
      {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
      {"text/csv;q=0", false},
      {"text/csv;q=0, */*", false},
      {"text/csv;q=abc", false},  // malformed: ignored
      {"text/csv;q=2", false},
      {"text/plain, text/csv;q=0.1", true},  // JSON is not acceptable at all
      {"text/*;q=0.2, text/csv;q=0.1, application/json;q=0.15", false},  // the specific q counts
  };
  for (const Case& c : cases) EXPECT_EQ(accept_prefers_csv(c.accept), c.csv) << c.accept;
}

httplib::Request request(const char* format, const char* accept) {
  httplib::Request req;
  if (format) req.params.emplace("format", format);
  if (accept) req.headers.emplace("Accept", accept);
  return req;
}

TEST(RequestedFormat, FormatDecidesThenAcceptThenJson) {
  EXPECT_EQ(requested_format(request(nullptr, nullptr), true), BodyFormat::json);
  EXPECT_EQ(requested_format(request("csv", nullptr), true), BodyFormat::csv);
  EXPECT_EQ(requested_format(request("json", nullptr), true), BodyFormat::json);
  EXPECT_EQ(requested_format(request("json", "text/csv"), true), BodyFormat::json);
  EXPECT_EQ(requested_format(request("csv", "application/json"), true), BodyFormat::csv);
  EXPECT_EQ(requested_format(request(nullptr, "text/csv"), true), BodyFormat::csv);
  EXPECT_EQ(requested_format(request(nullptr, "application/json"), true), BodyFormat::json);
  for (const char* bad : {"", "xml", "CSV", "csv "})
    EXPECT_THROW(requested_format(request(bad, nullptr), true), BadRequest) << bad;
}

TEST(RequestedFormat, WhereCsvIsNotOfferedFormatCsvIs400AndAcceptIsIgnored) {
  EXPECT_THROW(requested_format(request("csv", nullptr), false), BadRequest);
  EXPECT_THROW(requested_format(request("xml", nullptr), false), BadRequest);
  EXPECT_EQ(requested_format(request(nullptr, "text/csv"), false), BodyFormat::json);
  EXPECT_EQ(requested_format(request("json", nullptr), false), BodyFormat::json);
}

TEST(CsvFilename, NamesTheSeriesTheRouteAndTheRange) {
  const Micros from = 1'795'000'000'000'000, to = from + 3600 * kMicrosPerSecond + 500'000;
  auto compact = [](Micros t) {
    std::string out;
    for (char c : format_rfc3339(t))
      if (c != '-' && c != ':') out += c;
    return out;
  };
  EXPECT_EQ(csv_filename({"B1", "101", "temperature", "readings"}, from, to),
            "B1_101_temperature_readings_" + compact(from) + "_" + compact(to) + ".csv");
  EXPECT_EQ(compact(from).find_first_not_of("0123456789TZ."), std::string::npos);
  // Nothing that would need quoting in the header survives.
  const std::string odd = csv_filename({"a\"b", "c d", "e/f"}, from, to);
  EXPECT_EQ(odd.find_first_of("\"/ \\;"), std::string::npos) << odd;
}

}  // namespace
}  // namespace roomtemp

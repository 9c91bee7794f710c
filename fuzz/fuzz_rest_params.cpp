// REST query strings: decoded by cpp-httplib's own parser (as the server does: '&', '=', %XX,
// '+'), then read through every params:: reader the handlers use. A bad value must come out as
// BadRequest and be answered with a 400 as the server's exception handler does, nothing else.
#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "duration.h"
#include "fuzz_check.h"
#include "http_api.h"
#include "rest_params.h"
#include "timeutil.h"

using namespace roomtemp;

namespace {

// parse_rfc3339 reads years 0000-9999 with an offset of up to a day: everything the handlers
// do with a time (to - from, from + step) stays far from overflow within these bounds.
constexpr Micros kEarliest = -62167219200LL * kMicrosPerSecond - 86400LL * kMicrosPerSecond;
constexpr Micros kLatest = 253402300800LL * kMicrosPerSecond + 86400LL * kMicrosPerSecond;

template <typename Fn>
void expect_ok_or_bad_request(Fn&& read) {
  try {
    read();
  } catch (const BadRequest& e) {
    FUZZ_CHECK(e.what()[0] != '\0');
    // What the server's exception handler does with it: the 400 answer.
    httplib::Response res;
    send_error(res, 400, e.what());
    FUZZ_CHECK(res.status == 400 && !res.body.empty());
  }
}

void check_time(Micros t) {
  FUZZ_CHECK(t >= kEarliest && t <= kLatest);
  // Times are echoed back in responses and sent to PostgreSQL as text: the text reads back
  // to the same instant (within the 4-digit years that format_rfc3339 writes).
  if (t >= -62167219200LL * kMicrosPerSecond && t < 253402300800LL * kMicrosPerSecond)
    FUZZ_CHECK(parse_rfc3339(format_rfc3339(t)) == t);
}

void check_duration(Duration d) {
  FUZZ_CHECK(d.count() > 0);
  FUZZ_CHECK(parse_duration(format_duration(d)) == d);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  httplib::Request req;
  httplib::detail::parse_query_text(std::string(reinterpret_cast<const char*>(data), size),
                                    req.params);

  for (const char* name : {"from", "to"}) {
    expect_ok_or_bad_request([&] {
      if (auto t = params::optional_time(req, name)) check_time(*t);
    });
    expect_ok_or_bad_request([&] { check_time(params::time(req, name)); });
  }
  for (const char* name : {"window", "step"}) {
    expect_ok_or_bad_request([&] {
      if (auto d = params::optional_duration(req, name)) check_duration(*d);
    });
    expect_ok_or_bad_request([&] { check_duration(params::duration(req, name)); });
  }
  expect_ok_or_bad_request([&] {
    const auto n = params::integer(req, "limit", 1000, 1, kMaxRows);
    FUZZ_CHECK(n >= 1 && n <= kMaxRows);
  });
  expect_ok_or_bad_request([&] {
    const auto n = params::integer(req, "bins", 20, 1, kMaxBins);
    FUZZ_CHECK(n >= 1 && n <= kMaxBins);
  });
  expect_ok_or_bad_request([&] {
    const auto n = params::integer(req, "n", 10, 1, 1000);
    FUZZ_CHECK(n >= 1 && n <= 1000);
  });
  expect_ok_or_bad_request([&] {
    params::id(params::required(req, "building_id"), "building");
    if (auto room = params::optional(req, "room_id")) params::id(*room, "room");
    params::id(params::optional(req, "metric").value_or("temperature"), "metric");
  });
  // Path segments (/v1/buildings/{b}/rooms/{r}/...) go through params::id as they are.
  for (const auto& param : req.params) {
    expect_ok_or_bad_request([&] { params::id(param.first, "building"); });
    expect_ok_or_bad_request([&] { params::id(param.second, "room"); });
  }
  return 0;
}

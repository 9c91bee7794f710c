// A method no route serves at a path some route does serve is a 405 with an Allow header
// naming the methods that path has (README, REST API); a path no route has stays a 404. Run
// against the real server and its route table.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "rest_server.h"

namespace roomtemp {
namespace {

using json = nlohmann::json;
using rest_test::concrete_path;
using rest_test::RestServer;

/// Every method cpp-httplib parses (CONNECT aside: its target is host:port, not a path).
const std::vector<std::string> kMethods = {"GET",    "HEAD",    "POST",  "PUT",
                                           "DELETE", "OPTIONS", "PATCH", "TRACE"};

class RestMethods : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new RestServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static httplib::Result send(const std::string& method, const std::string& path) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    if (method == "POST" || method == "PUT" || method == "PATCH") {
      req.body = "[]";
      req.set_header("Content-Type", "application/json");
    }
    return server_->client().send(req);
  }

  /// The methods the route table registers for some pattern matching `path`, HEAD wherever
  /// GET is (httplib answers HEAD with the GET handler), as "GET, HEAD, POST".
  static std::string allow_from_table(const std::string& path) {
    std::set<std::string> methods;
    for (const RouteInfo& r : server_->api().registered_routes()) {
      if (!std::regex_match(path, std::regex(r.pattern))) continue;
      methods.insert(r.method);
      if (r.method == "GET") methods.insert("HEAD");
    }
    std::string allow;
    for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    return allow;
  }

  static void expect_405(const std::string& method, const std::string& path,
                         const std::string& allow) {
    SCOPED_TRACE(method + " " + path);
    auto res = send(method, path);
    ASSERT_TRUE(res) << "no answer";
    EXPECT_EQ(res->status, 405) << res->body;
    EXPECT_EQ(res->get_header_value("Allow"), allow);
    if (method == "HEAD") return;  // no body
    const json body = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << res->body;
    ASSERT_TRUE(body.contains("error") && body["error"].is_string()) << res->body;
    EXPECT_FALSE(body["error"].get<std::string>().empty());
    EXPECT_NE(res->get_header_value("Content-Type").find("application/json"), std::string::npos);
  }

  static RestServer* server_;
};

RestServer* RestMethods::server_ = nullptr;

TEST_F(RestMethods, AWrongMethodOnAKnownPathIs405WithAllow) {
  const std::string room = "/v1/buildings/B1/rooms/101/temperature/";
  expect_405("DELETE", room + "average", "GET, HEAD");
  expect_405("PUT", room + "readings", "GET, HEAD");
  expect_405("PATCH", room + "series", "GET, HEAD");
  expect_405("POST", room + "histogram", "GET, HEAD");
  expect_405("POST", "/v1/buildings", "GET, HEAD");
  expect_405("DELETE", "/healthz", "GET, HEAD");
  expect_405("POST", "/metrics", "GET, HEAD");
  expect_405("GET", "/v1/readings", "POST");
  expect_405("HEAD", "/v1/readings", "POST");
  expect_405("DELETE", "/v1/readings", "POST");
  expect_405("GET", "/temperature", "POST");
  expect_405("TRACE", "/temperature/average", "GET, HEAD");
  expect_405("OPTIONS", "/", "GET, HEAD");
}

// Every route of the table, every method: the ones the table lists for that path are served
// (not a 405, not the router's 404); every other one is a 405 naming exactly those.
TEST_F(RestMethods, EveryRouteAnswersEveryOtherMethodWith405) {
  for (const RouteInfo& r : server_->api().registered_routes()) {
    const std::string path = concrete_path(r.pattern);
    ASSERT_FALSE(path.empty()) << r.pattern;
    const std::string allow = allow_from_table(path);
    ASSERT_NE(allow.find(r.method), std::string::npos) << allow;
    for (const std::string& method : kMethods) {
      const bool allowed = (", " + allow + ",").find(" " + method + ",") != std::string::npos;
      if (!allowed) {
        expect_405(method, path, allow);
        continue;
      }
      SCOPED_TRACE(method + " " + path);
      auto res = send(method, path);
      ASSERT_TRUE(res);
      EXPECT_NE(res->status, 405) << res->body;
      const bool router_404 = res->status == 404 && json::parse(res->body, nullptr, false) ==
                                                        json{{"error", "not found"}};
      EXPECT_FALSE(router_404) << "Allow lists " << method
                               << " but the router has no handler for it";
    }
  }
}

TEST_F(RestMethods, AnUnknownPathStays404WhateverTheMethod) {
  for (const std::string path :
       {"/v1/no/such/route", "/v1/buildings/B1/rooms/101/temperature/nothing", "/v2/buildings"}) {
    for (const std::string& method : kMethods) {
      SCOPED_TRACE(method + " " + path);
      auto res = send(method, path);
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, method == "TRACE" ? 400 : 404) << res->body;
      EXPECT_FALSE(res->has_header("Allow"));
    }
  }
}

// A route's own 404 (an unknown dashboard asset) is not turned into a 405.
TEST_F(RestMethods, AHandlersOwn404StaysA404) {
  auto res = send("GET", "/assets/no-such-file.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  EXPECT_FALSE(res->has_header("Allow"));
}

}  // namespace
}  // namespace roomtemp

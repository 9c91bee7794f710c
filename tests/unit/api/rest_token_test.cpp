// Bearer tokens on the REST API: http.token_file guards every POST,
// http.read_token_file every GET of data (the write token reads too); probes, /metrics, the
// API description and the dashboard's page and assets stay open. The real server, the real
// routes, tokens in real files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "rest_server.h"

namespace roomtemp {
namespace {

using json = nlohmann::json;
using rest_test::concrete_path;
using rest_test::RestServer;
using rest_test::SecretFile;

constexpr const char* kReadToken = "read-3f9c1e7a";
constexpr const char* kWriteToken = "write-b42d08e6";

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

/// The error text of a JSON error answer, "" when it is not one.
std::string error_of(const httplib::Result& res) {
  if (!res) return "";
  const json body = json::parse(res->body, nullptr, false);
  return body.is_object() && body.contains("error") && body["error"].is_string()
             ? body["error"].get<std::string>()
             : "";
}

class RestTokens : public ::testing::Test {
 protected:
  RestTokens() : server_(tokens(read_.path(), write_.path())) {}

  static HttpConfig tokens(std::string read_file, std::string write_file) {
    HttpConfig http;
    http.read_token_file = std::move(read_file);
    http.token_file = std::move(write_file);
    return http;
  }

  httplib::Client& client() { return server_.client(); }

  SecretFile read_{"roomtemp-read-token", kReadToken};
  SecretFile write_{"roomtemp-write-token", kWriteToken};
  RestServer server_;
};

TEST_F(RestTokens, ReadWithoutATokenIs401) {
  auto res = client().Get("/v1/buildings");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(error_of(res), "") << res->body;
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
}

TEST_F(RestTokens, ReadWithAWrongTokenIs401) {
  for (const std::string& wrong : {std::string("nope"), std::string(kReadToken) + "x",
                                   std::string(kReadToken).substr(1), std::string("")}) {
    auto res = client().Get("/v1/buildings", bearer(wrong));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << "token '" << wrong << "'";
  }
  // The token under another scheme is no bearer token.
  auto res = client().Get("/v1/buildings", {{"Authorization", std::string("Basic ") + kReadToken}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(RestTokens, ReadWithTheReadTokenIs200) {
  auto res = client().Get("/v1/buildings", bearer(kReadToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body), json::array());
  // The scheme name is case-insensitive (RFC 7235).
  res = client().Get("/v1/buildings", {{"Authorization", std::string("bearer ") + kReadToken}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(RestTokens, TheWriteTokenReadsToo) {
  auto res = client().Get("/v1/buildings", bearer(kWriteToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(RestTokens, TheReadTokenDoesNotWrite) {
  const std::string body = R"({"building_id":"B1","room_id":"101","temperature":21.5})";
  auto res = client().Post("/v1/readings", bearer(kReadToken), body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(error_of(res), "");
  res = client().Post("/v1/readings", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client().Post("/v1/readings", bearer(kWriteToken), body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  EXPECT_EQ(json::parse(res->body)["accepted"], 1);
}

// Probes, /metrics, the API description and the dashboard's page and assets: no token.
TEST_F(RestTokens, OpenRoutesNeedNoToken) {
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/openapi.json", "/",
                           "/assets/app.js", "/assets/style.css"}) {
    auto res = client().Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  }
}

// Every route the server registers, as it registers it: open ones answer without a token,
// every other GET and every POST says 401.
TEST_F(RestTokens, EveryRouteIsGuardedAsItsAccessSays) {
  std::size_t guarded = 0, open = 0;
  for (const RouteInfo& r : server_.api().registered_routes()) {
    const std::string path = concrete_path(r.pattern);
    ASSERT_FALSE(path.empty()) << r.pattern;
    auto res =
        r.method == "GET" ? client().Get(path) : client().Post(path, "[]", "application/json");
    ASSERT_TRUE(res) << r.method << " " << path;
    if (r.access == Access::open) {
      ++open;
      EXPECT_NE(res->status, 401) << r.method << " " << path;
    } else {
      ++guarded;
      EXPECT_EQ(res->status, 401) << r.method << " " << path << " answered without a token";
      EXPECT_EQ(r.access, r.method == "GET" ? Access::read : Access::write) << r.pattern;
    }
  }
  EXPECT_GT(guarded, 0u);
  EXPECT_GT(open, 0u);
}

TEST_F(RestTokens, AnUnreadableReadTokenFileIs503) {
  server_.set_http(tokens("/nonexistent/roomtemp-read-token", write_.path()));
  auto res = client().Get("/v1/buildings", bearer(kReadToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(error_of(res), "");
  // The write token still reads; the probes still answer.
  res = client().Get("/v1/buildings", bearer(kWriteToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client().Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(RestTokens, WithoutAReadTokenFileReadsAreOpenAndWritesAreNot) {
  server_.set_http(tokens("", write_.path()));
  auto res = client().Get("/v1/buildings");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client().Post("/v1/readings", "[]", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(RestTokens, WithoutTokenFilesEverythingIsOpen) {
  server_.set_http(tokens("", ""));
  auto res = client().Get("/v1/buildings");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client().Post("/v1/readings", "[]", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
}

// An empty token file lets nobody in (an empty bearer token is no token).
TEST(RestTokenFiles, AnEmptyTokenFileAdmitsNobody) {
  SecretFile empty("roomtemp-empty-token", "");
  HttpConfig http;
  http.read_token_file = empty.path();
  RestServer server(http);
  auto res = server.client().Get("/v1/buildings", {{"Authorization", "Bearer "}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

}  // namespace
}  // namespace roomtemp

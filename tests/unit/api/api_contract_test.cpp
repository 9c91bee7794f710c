// GET /openapi.json against the routes the real server registers: every route is
// described, every described operation is served, who may call it (the bearer tokens) is
// described as enforced, and the document passes openapi-spec-validator.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "openapi.h"
#include "programs.h"
#include "rest_server.h"

namespace roomtemp {
namespace {

using json = nlohmann::json;
using rest_test::concrete_path;
using rest_test::RestServer;

/// A path with its parameters blanked: "/v1/buildings/{}/rooms" for both the httplib pattern
/// "/v1/buildings/([^/]+)/rooms" and the OpenAPI path "/v1/buildings/{building}/rooms".
/// Empty for a pattern with regex syntax other than groups and escapes.
std::string shape_of_pattern(const std::string& pattern) {
  return rest_test::fill_groups(pattern, "{}");
}

std::string shape_of_openapi_path(const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      i = path.find('}', i);
      out += "{}";
    } else {
      out += path[i];
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class ApiContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new RestServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  /// "GET {shape}" → the documented path, for every operation of /openapi.json.
  static std::map<std::string, std::string> documented() {
    std::map<std::string, std::string> out;
    for (const auto& [path, item] : doc()["paths"].items())
      for (const auto& [method, op] : item.items())
        out[upper(method) + " " + shape_of_openapi_path(path)] = path;
    return out;
  }

  /// The document as served.
  static const json& doc() {
    static const json served = [] {
      auto res = server_->client().Get("/openapi.json");
      if (!res || res->status != 200) return json();
      return json::parse(res->body);
    }();
    return served;
  }

  static RestServer* server_;
};

RestServer* ApiContract::server_ = nullptr;

TEST_F(ApiContract, TheServerRegistersRoutesAndServesTheDocument) {
  ASSERT_TRUE(doc().is_object()) << "GET /openapi.json did not answer 200 with JSON";
  EXPECT_TRUE(doc() == json::parse(openapi_json()));
  EXPECT_FALSE(server_->api().registered_routes().empty());
}

TEST_F(ApiContract, EveryRegisteredRouteIsDocumented) {
  const auto docs = documented();
  for (const RouteInfo& r : server_->api().registered_routes()) {
    const std::string shape = shape_of_pattern(r.pattern);
    ASSERT_FALSE(shape.empty()) << r.pattern << ": cannot turn this pattern into an OpenAPI path";
    EXPECT_TRUE(docs.count(r.method + " " + shape))
        << r.method << " " << r.pattern << " is served but /openapi.json does not describe it "
        << "(as " << shape << " with named parameters): add it in daemon/openapi.cpp";
  }
}

TEST_F(ApiContract, EveryDocumentedOperationIsRegistered) {
  std::set<std::string> registered;
  for (const RouteInfo& r : server_->api().registered_routes())
    registered.insert(r.method + " " + shape_of_pattern(r.pattern));
  for (const auto& [key, path] : documented())
    EXPECT_TRUE(registered.count(key))
        << key.substr(0, key.find(' ')) << " " << path
        << " is in /openapi.json but the server does not register it";
}

TEST_F(ApiContract, EachRouteIsRegisteredOnce) {
  std::set<std::string> seen;
  for (const RouteInfo& r : server_->api().registered_routes())
    EXPECT_TRUE(seen.insert(r.method + " " + r.pattern).second) << r.method << " " << r.pattern;
}

// The table is what httplib routes, not a list beside it: a path made from each recorded
// pattern reaches a handler, where an unknown path gets the router's own 404.
TEST_F(ApiContract, EveryRegisteredRouteReachesAHandler) {
  auto& client = server_->client();
  const auto router_404 = [](const httplib::Result& res) {
    return res && res->status == 404 &&
           json::parse(res->body, nullptr, false) == json{{"error", "not found"}};
  };
  ASSERT_TRUE(router_404(client.Get("/v1/no/such/route")));
  ASSERT_TRUE(router_404(client.Post("/v1/no/such/route", "[]", "application/json")));
  for (const RouteInfo& r : server_->api().registered_routes()) {
    const std::string path = concrete_path(r.pattern);
    ASSERT_FALSE(path.empty()) << r.pattern;
    auto res = r.method == "GET" ? client.Get(path) : client.Post(path, "[]", "application/json");
    ASSERT_TRUE(res) << r.method << " " << path << ": no answer";
    EXPECT_FALSE(router_404(res)) << r.method << " " << path << " (" << r.pattern
                                  << ") is in the table but httplib does not route it";
  }
}

// Who may call what, as the server enforces it (Access) and as the document says (security).
TEST_F(ApiContract, SecurityOfEachOperationMatchesItsAccess) {
  const auto docs = documented();
  for (const RouteInfo& r : server_->api().registered_routes()) {
    auto it = docs.find(r.method + " " + shape_of_pattern(r.pattern));
    if (it == docs.end()) continue;  // reported by EveryRegisteredRouteIsDocumented
    SCOPED_TRACE(r.method + " " + it->second);
    const json& op = doc()["paths"][it->second][lower(r.method)];
    ASSERT_TRUE(op.contains("security"));
    std::set<std::string> schemes;
    bool optional = false;
    for (const auto& requirement : op["security"]) {
      if (requirement.empty()) optional = true;
      for (const auto& [name, scopes] : requirement.items()) schemes.insert(name);
    }
    switch (r.access) {
      case Access::open:
        EXPECT_TRUE(op["security"].empty());
        EXPECT_FALSE(op["responses"].contains("401"));
        break;
      case Access::read:
        EXPECT_EQ(schemes, (std::set<std::string>{"readToken", "writeToken"}));
        EXPECT_TRUE(optional) << "reads are open while http.read_token_file is unset";
        EXPECT_TRUE(op["responses"].contains("401"));
        break;
      case Access::write:
        EXPECT_EQ(schemes, (std::set<std::string>{"writeToken"}));
        EXPECT_TRUE(optional) << "writes are open while http.token_file is unset";
        EXPECT_TRUE(op["responses"].contains("401"));
        break;
    }
    for (const auto& name : schemes)
      EXPECT_TRUE(doc()["components"]["securitySchemes"].contains(name)) << name;
  }
}

// Every {param} of a path is declared as a path parameter, and every $ref resolves.
TEST_F(ApiContract, ParametersAndReferencesResolve) {
  for (const auto& [path, item] : doc()["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      SCOPED_TRACE(method + " " + path);
      EXPECT_FALSE(op["responses"].empty());
      std::set<std::string> declared;
      for (const auto& p : op.value("parameters", json::array()))
        if (p["in"] == "path") declared.insert(p["name"].get<std::string>());
      for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1))
        EXPECT_TRUE(declared.count(path.substr(at + 1, path.find('}', at) - at - 1)));
    }
  }
  std::function<void(const json&)> check_refs = [&](const json& j) {
    if (j.is_object()) {
      if (auto it = j.find("$ref"); it != j.end()) {
        const std::string ref = *it;
        const std::string prefix = "#/components/schemas/";
        ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
        EXPECT_TRUE(doc()["components"]["schemas"].contains(ref.substr(prefix.size()))) << ref;
      }
      for (const auto& [k, v] : j.items()) check_refs(v);
    } else if (j.is_array()) {
      for (const auto& v : j) check_refs(v);
    }
  };
  check_refs(doc());
}

/// Every way `value` breaks `schema` (a schema of `document`, $ref followed): a required
/// property missing, a property the schema does not list, a wrong type, null where not
/// nullable. `where` names the place in the answer.
void shape_errors(const json& document, const json& value, json schema, const std::string& where,
                  std::vector<std::string>& errors) {
  while (schema.contains("$ref")) {
    const std::string ref = schema["$ref"];
    schema = document["components"]["schemas"][ref.substr(ref.rfind('/') + 1)];
  }
  if (value.is_null()) {
    if (!schema.value("nullable", false)) errors.push_back(where + ": null, not nullable");
    return;
  }
  const std::string type = schema.value("type", "");
  const bool ok =
      type.empty() || (type == "object" && value.is_object()) ||
      (type == "array" && value.is_array()) || (type == "string" && value.is_string()) ||
      (type == "integer" && value.is_number_integer()) || (type == "number" && value.is_number()) ||
      (type == "boolean" && value.is_boolean());
  if (!ok) return errors.push_back(where + ": not " + type + ": " + value.dump());
  if (value.is_array() && schema.contains("items"))
    for (std::size_t i = 0; i < value.size(); ++i)
      shape_errors(document, value[i], schema["items"], where + "[" + std::to_string(i) + "]",
                   errors);
  if (!value.is_object()) return;
  for (const auto& name : schema.value("required", json::array()))
    if (!value.contains(name)) errors.push_back(where + ": no " + name.get<std::string>());
  if (!schema.contains("properties")) return;
  for (const auto& [name, v] : value.items()) {
    if (!schema["properties"].contains(name))
      errors.push_back(where + "." + name + ": not in the schema");
    else
      shape_errors(document, v, schema["properties"][name], where + "." + name, errors);
  }
}

// The live answers the dashboard reads, with a room in them, have the shape the document gives.
TEST_F(ApiContract, LiveAnswersHaveTheirDocumentedShape) {
  const Micros now = now_micros();
  Reading r;
  r.building = "B1";
  r.room = "101";
  r.metric = "temperature";
  r.ts = now - 1'000'000;
  r.value = 21.5;
  r.received_at = now;
  server_->aggregator().add(r, now);
  const std::map<std::string, std::string> answers = {
      {"/v1/overview", "/v1/overview"},
      {"/v1/buildings/B1/live", "/v1/buildings/{building}/live"},
      {"/v1/buildings/B1/rooms", "/v1/buildings/{building}/rooms"},
      {"/v1/buildings", "/v1/buildings"},
      {"/v1/top", "/v1/top"}};
  for (const auto& [path, documented] : answers) {
    SCOPED_TRACE(path);
    auto res = server_->client().Get(path);
    ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no answer");
    ASSERT_TRUE(doc()["paths"].contains(documented));
    const json& schema = doc()["paths"][documented]["get"]["responses"]["200"]["content"]
                              ["application/json"]["schema"];
    std::vector<std::string> errors;
    shape_errors(doc(), json::parse(res->body), schema, "answer", errors);
    EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  }
}

// The document is valid OpenAPI 3.0, by openapi-spec-validator (pip or Debian's
// python3-openapi-spec-validator) when it is installed.
TEST_F(ApiContract, PassesOpenApiSpecValidator) {
  const std::string validator = test_programs::find_on_path("openapi-spec-validator");
  if (validator.empty()) GTEST_SKIP() << "openapi-spec-validator is not installed";
  const auto file = std::filesystem::path(::testing::TempDir()) / "roomtemp-openapi.json";
  std::ofstream(file) << openapi_json();
  const auto run = test_programs::run_command("'" + validator + "' '" + file.string() + "'");
  std::filesystem::remove(file);
  EXPECT_EQ(run.status, 0) << run.output;
}

}  // namespace
}  // namespace roomtemp

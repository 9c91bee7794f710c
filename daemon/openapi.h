#pragma once
#include <string>

namespace httplib {
class Server;
}

namespace roomtemp {

/// The OpenAPI 3.0 description of the REST API (every route of SPEC.md §5), as JSON text.
std::string openapi_json();

/// Serves openapi_json() at GET /openapi.json.
void register_openapi_route(httplib::Server& server);

}  // namespace roomtemp

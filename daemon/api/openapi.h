#pragma once
#include <string>

namespace roomtemp {

class Routes;

/// The OpenAPI 3.0 description of the REST API (every route the server registers), as JSON
/// text.
std::string openapi_json();

/// Serves openapi_json() at GET /openapi.json.
void register_openapi_route(Routes& routes);

}  // namespace roomtemp

#pragma once
// The dashboard page (README "REST API", GET /): static files whose script reads the REST API.
#include <span>
#include <string_view>

namespace roomtemp {

class Routes;

/// One file of the dashboard, compiled in by cmake/embed_web.cmake.
struct WebAsset {
  std::string_view name;  ///< its name under /assets/ ("app.js"); index.html is the page at /
  std::string_view body;
};

/// Every embedded file: web/* under their own names and Debian's Chart.js as "chart.js"
/// (defined in the generated web_embedded.cpp).
std::span<const WebAsset> embedded_web_assets();

/// GET / (the page) and GET /assets/{name} (its script, styles, icon and Chart.js).
void register_dashboard_routes(Routes& routes);

}  // namespace roomtemp

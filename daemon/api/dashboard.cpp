// The dashboard (README "REST API", GET /): one page and its assets, compiled into the binary
// (cmake/embed_web.cmake), so an installed roomtempd serves it with no data files and no
// internet. The page itself only reads the REST API; nothing here knows about rooms.
#include "dashboard.h"

#include <httplib.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "http_api.h"

namespace roomtemp {
namespace {

/// Nothing but our own origin: the page loads no third-party code, inline script or style.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A file as served: its bytes, type and validator.
struct ServedFile {
  std::string_view body;
  std::string type;
  std::string etag;
};

std::string content_type(std::string_view name) {
  auto ends_with = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

/// A validator from the bytes (64-bit FNV-1a), so that a rebuilt daemon with other files
/// invalidates what browsers cached and an unchanged one answers 304. Weak, because
/// cpp-httplib may send the same file gzipped or not.
std::string etag_of(std::string_view body) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
  char text[24];
  std::snprintf(text, sizeof text, "W/\"%016llx\"", static_cast<unsigned long long>(h));
  return text;
}

/// The embedded files by name, built once.
const std::map<std::string, ServedFile, std::less<>>& served_files() {
  static const auto files = [] {
    std::map<std::string, ServedFile, std::less<>> m;
    for (const WebAsset& a : embedded_web_assets())
      m.emplace(std::string(a.name), ServedFile{a.body, content_type(a.name), etag_of(a.body)});
    return m;
  }();
  return files;
}

void serve(const httplib::Request& req, httplib::Response& res, const ServedFile& file) {
  // Browsers revalidate on every load (cheap: 304 when unchanged), so an upgraded daemon's
  // page never runs with a stale script.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", file.etag);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (req.get_header_value("If-None-Match").find(file.etag) != std::string::npos) {
    res.status = 304;
    return;
  }
  // cpp-httplib compresses text types itself when the client accepts gzip.
  res.set_content(file.body.data(), file.body.size(), file.type.c_str());
}

}  // namespace

void register_dashboard_routes(Routes& routes) {
  const auto& files = served_files();
  if (auto page = files.find("index.html"); page != files.end()) {
    routes.Get("/", [&file = page->second](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Content-Security-Policy", kPagePolicy);
      res.set_header("Referrer-Policy", "no-referrer");
      serve(req, res, file);
    });
  }
  routes.Get(R"(/assets/([A-Za-z0-9._-]+))",
             [&files](const httplib::Request& req, httplib::Response& res) {
               auto it = files.find(std::string(req.matches[1]));
               if (it == files.end() || it->first == "index.html")
                 return send_error(res, 404, "no asset named " + std::string(req.matches[1]));
               serve(req, res, it->second);
             });
}

}  // namespace roomtemp

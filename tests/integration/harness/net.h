#pragma once
#include <chrono>
#include <string>

namespace roomtemp::harness {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close).
int free_port();

/// True when something accepts TCP connections on 127.0.0.1:`port`.
bool port_accepts(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

/// An HTTP answer; status 0 when no answer came (refused, timed out).
struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

/// GET http://127.0.0.1:`port``path`, bounded by `timeout`.
HttpResponse http_get(int port, const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// POST `body` (application/json) to http://127.0.0.1:`port``path`, bounded by `timeout`;
/// status 0 when no answer came.
HttpResponse http_post(int port, const std::string& path, const std::string& body,
                       std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace roomtemp::harness

// History endpoints over PostgreSQL: being written (see rest_history helper brief).
#include <httplib.h>

#include "http_api.h"

namespace roomtemp {
void register_history_routes(httplib::Server&, HttpDeps&) {}
}  // namespace roomtemp

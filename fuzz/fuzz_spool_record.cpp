// Spool and journal record bodies: a damaged disk, a truncated write or a hand-edited file must
// be refused by decode_inbound, never crash the writer thread on replay.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "fuzz_check.h"
#include "messages.h"
#include "record.h"
#include "timeutil.h"

using namespace roomtemp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  const std::optional<Inbound> decoded = decode_inbound(body);
  if (!decoded) return 0;
  const Inbound& item = *decoded;

  // Whatever decodes encodes to a body that decodes to the same thing.
  const std::string again = encode_inbound(item);
  const std::optional<Inbound> second = decode_inbound(again);
  FUZZ_CHECK(second.has_value());
  FUZZ_CHECK(encode_inbound(*second) == again);

  // What the writer does with a replayed item: timestamps as RFC 3339 text for PostgreSQL,
  // rejections as JSON, alarm events' times as text.
  if (const auto* r = std::get_if<Reading>(&item)) {
    FUZZ_CHECK(!format_rfc3339(r->ts).empty());
    FUZZ_CHECK(!format_rfc3339(r->received_at).empty());
  } else if (const auto* e = std::get_if<AlarmEvent>(&item)) {
    FUZZ_CHECK(!format_rfc3339(e->ts).empty());
    if (e->last_reading) FUZZ_CHECK(!format_rfc3339(*e->last_reading).empty());
  } else {
    const auto& j = std::get<Rejection>(item);
    FUZZ_CHECK(!reason_name(j.reason).empty());
    FUZZ_CHECK(!rejection_json(j).empty());
  }
  return 0;
}

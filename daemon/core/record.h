#pragma once
// Records of the spool and the journal: `u32 length | u32 crc32 | body`, little-endian, one
// Reading, Rejection or AlarmEvent each. Pure encoding; the files are store/spool.h's and
// store/journal.h's.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reading.h"

namespace roomtemp {

/// The longest record body a reader accepts; a longer length is damage.
inline constexpr std::uint32_t kMaxRecordBytes = 1u << 20;

/// The CRC-32 a record carries for its body.
std::uint32_t record_checksum(std::string_view body);

/// Appends one framed record (length, crc32, body) to `out`; the journal writes the same.
void append_record(std::string& out, const Inbound& item);
/// Encodes one record body (exposed for tests and benchmarks).
std::string encode_inbound(const Inbound& item);
/// Decodes a record body into the Reading, Rejection or AlarmEvent it holds, the types the ingest
/// made; nullopt when malformed (damage: a record the daemon wrote is never refused input).
std::optional<Inbound> decode_inbound(std::string_view body);

}  // namespace roomtemp

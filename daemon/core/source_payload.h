#pragma once
// Reading the payload of a configured source (README "Connecting real sensors"): values at
// dotted JSON paths, a timestamp at its own path (local times in the source's zone), and a JSON
// array of such objects as one gateway's batch.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "reading.h"
#include "sources.h"

namespace roomtemp {

/// One value a record holds: its metric (as `values` names it) and the number, or why that
/// value is not one (e.g. a string where a number belongs).
struct SourceValue {
  std::string_view metric;
  std::variant<double, Refusal> value;
};

/// One record of a message: the whole payload, or one element of a batch.
struct SourceRecord {
  std::string_view text;           ///< the record's own text (for a rejection of it)
  std::optional<Refusal> refusal;  ///< the whole record refused (bad JSON, no mapped value, …)
  std::vector<SourceValue> values;
  std::optional<Micros> ts;  ///< none: the reading is stamped with its arrival
  std::string device;        ///< at source.device, when the source has one
};

/// Splits a JSON array into the texts of its elements, without parsing them; nullopt when `text`
/// is not one array (unbalanced brackets, an unterminated string, text after it).
std::optional<std::vector<std::string_view>> split_json_array(std::string_view text);

/// Reads one record (an object, or a bare number when a value's path is "") of a source with
/// `values`: one SourceValue per mapped value present, in `values` order; bad_payload when none
/// is present; the timestamp (source.timestamp) as parse_source_time reads text in source.zone,
/// or epoch seconds/milliseconds as the native payload's.
SourceRecord read_source_record(std::string_view text, const Source& source);

/// The records of a whole payload: the elements of a JSON array (a batch), else the payload as
/// one record. A payload with a leading byte order mark or surrounding blanks is trimmed.
/// `records` is cleared first (callers reuse it). Returns whether the payload was a batch.
bool split_source_records(std::string_view payload, std::vector<std::string_view>& records,
                          std::optional<Refusal>& refusal);

}  // namespace roomtemp

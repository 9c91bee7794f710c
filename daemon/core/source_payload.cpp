#include "source_payload.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "payload.h"
#include "topic.h"

namespace roomtemp {
namespace {

/// `s` without a UTF-8 byte order mark before it and JSON's whitespace around it.
std::string_view trim_bom_and_whitespace(std::string_view s) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (s.starts_with(kBom)) s.remove_prefix(kBom.size());
  return trim_json_whitespace(s);
}

/// What the JSON held at one wanted path.
struct PathField {
  enum class Kind { absent, null, number, string, other };
  Kind kind = Kind::absent;
  double number = 0;
  std::string text;
};

/// The values at a few dotted paths of one JSON object, collected while nlohmann's SAX parser
/// reads it (no document is built, as for the native payload). Paths do not go through arrays: an
/// array where a path ends is "other". Like the DOM, a key given twice counts with its last value.
class PathCollector final : public nlohmann::json_sax<nlohmann::json> {
 public:
  /// `paths` and `fields` are parallel and outlive the collector.
  PathCollector(const std::vector<const JsonPath*>& paths, std::vector<PathField>& fields)
      : paths_(paths), fields_(fields) {}

  bool null() override { return scalar(PathField::Kind::null, 0, nullptr); }
  bool boolean(bool) override { return scalar(PathField::Kind::other, 0, nullptr); }
  bool number_integer(number_integer_t v) override {
    return scalar(PathField::Kind::number, static_cast<double>(v), nullptr);
  }
  bool number_unsigned(number_unsigned_t v) override {
    return scalar(PathField::Kind::number, static_cast<double>(v), nullptr);
  }
  bool number_float(number_float_t v, const string_t&) override {
    return scalar(PathField::Kind::number, v, nullptr);
  }
  bool string(string_t& v) override { return scalar(PathField::Kind::string, 0, &v); }
  bool binary(binary_t&) override { return scalar(PathField::Kind::other, 0, nullptr); }
  bool start_object(std::size_t) override {
    if (arrays_ == 0) set(PathField::Kind::other, 0, nullptr);  // an object where a path ends
    if (arrays_ == 0) ++depth_;
    return true;
  }
  bool end_object() override {
    if (arrays_ == 0) --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (arrays_ == 0) set(PathField::Kind::other, 0, nullptr);
    ++arrays_;
    return true;
  }
  bool end_array() override {
    --arrays_;
    return true;
  }
  bool key(string_t& k) override {
    if (arrays_ != 0) return true;
    // keys_[d - 1] is the key being read at object depth d.
    if (keys_.size() < depth_) keys_.resize(depth_);
    keys_[depth_ - 1] = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool scalar(PathField::Kind kind, double number, const std::string* text) {
    if (arrays_ == 0) set(kind, number, text);
    return true;
  }
  /// Sets every path that ends at the key being read.
  void set(PathField::Kind kind, double number, const std::string* text) {
    if (depth_ == 0) return;  // the object itself
    for (std::size_t i = 0; i < paths_.size(); ++i) {
      const auto& keys = paths_[i]->keys;
      if (keys.size() != depth_) continue;
      bool same = true;
      for (std::size_t d = 0; same && d < depth_; ++d) same = keys[d] == keys_[d];
      if (!same) continue;
      fields_[i].kind = kind;
      fields_[i].number = number;
      if (text) fields_[i].text = *text;
    }
  }

  const std::vector<const JsonPath*>& paths_;
  std::vector<PathField>& fields_;
  std::vector<std::string> keys_;
  std::size_t depth_ = 0;
  std::size_t arrays_ = 0;
};

const char* kind_name(PathField::Kind kind) {
  switch (kind) {
    case PathField::Kind::null:
      return "null";
    case PathField::Kind::string:
      return "a string";
    case PathField::Kind::other:
      return "not a single value";
    case PathField::Kind::absent:
    case PathField::Kind::number:
      break;
  }
  return "something else";
}

std::optional<Refusal> read_timestamp(const PathField& f, const Source& source,
                                      std::optional<Micros>& ts) {
  switch (f.kind) {
    case PathField::Kind::absent:
    case PathField::Kind::null:
      return std::nullopt;
    case PathField::Kind::string:
      ts = parse_source_time(f.text, source.zone);
      if (ts) return std::nullopt;
      return Refusal{RejectReason::bad_timestamp,
                     source.zone.zone ? "timestamp is not RFC 3339 (with or without an offset)"
                                      : "timestamp is not RFC 3339 with an offset (set the "
                                        "source's timezone for local times)"};
    case PathField::Kind::number:
      ts = epoch_number_to_micros(f.number);
      if (ts) return std::nullopt;
      return Refusal{RejectReason::bad_timestamp,
                     "timestamp is not epoch seconds or milliseconds between 1970 and 9999"};
    case PathField::Kind::other:
      break;
  }
  return Refusal{RejectReason::bad_timestamp, "timestamp must be RFC 3339 text or epoch seconds"};
}

}  // namespace

std::optional<std::vector<std::string_view>> split_json_array(std::string_view text) {
  text = trim_bom_and_whitespace(text);
  if (!text.starts_with('[') || !text.ends_with(']')) return std::nullopt;
  std::vector<std::string_view> out;
  int depth = 0;
  bool in_string = false;
  std::size_t start = 1;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return std::nullopt;
    } else if (c == ',' && depth == 0) {
      out.push_back(trim_bom_and_whitespace(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (in_string || depth != 0) return std::nullopt;
  const auto last = trim_bom_and_whitespace(text.substr(start, text.size() - 1 - start));
  if (!last.empty() || !out.empty()) out.push_back(last);
  return out;
}

bool split_source_records(std::string_view payload, std::vector<std::string_view>& records,
                          std::optional<Refusal>& refusal) {
  records.clear();
  refusal.reset();
  const std::string_view text = trim_bom_and_whitespace(payload);
  if (!text.starts_with('[')) {
    records.push_back(text);
    return false;
  }
  auto elements = split_json_array(text);
  if (!elements) {
    refusal = Refusal{RejectReason::bad_payload, "invalid JSON array"};
  } else if (elements->empty()) {
    refusal = Refusal{RejectReason::bad_payload, "empty batch"};
  } else {
    records = std::move(*elements);
  }
  return true;
}

namespace {

/// A record that is not a JSON object: a bare number, read by each value whose path is "".
void read_bare_record(std::string_view text, const Source& source, SourceRecord& record) {
  if (source.device) {
    record.refusal = Refusal{RejectReason::bad_payload,
                             "not a JSON object, so it names no device (at \"" +
                                 printable(format_json_path(*source.device), 64) + "\")"};
    return;
  }
  // Read as the native payload's bare number is, and refused alike (NaN, inf: not_finite).
  double v = 0;
  const bool number = parse_bare_number(text, v);
  for (const auto& [metric, path] : source.values) {
    if (!path.keys.empty() || !number) continue;
    if (std::isfinite(v))
      record.values.push_back({metric, v});
    else
      record.values.push_back({metric, Refusal{RejectReason::not_finite, "value is not finite"}});
  }
  if (record.values.empty())
    record.refusal = Refusal{RejectReason::bad_payload,
                             number ? "a bare number, but no value of this source has path \"\""
                                    : "payload is neither a number nor a JSON object: it begins "
                                      "with " +
                                          printable(text.substr(0, 16), 40)};
}

/// The device a record names at source.device, or why it names none.
std::optional<Refusal> read_device(PathField& field, const Source& source, std::string& device) {
  if (field.kind == PathField::Kind::string) {
    device = std::move(field.text);
    return std::nullopt;
  }
  return Refusal{RejectReason::bad_payload,
                 "\"" + printable(format_json_path(*source.device), 64) + "\" is " +
                     (field.kind == PathField::Kind::absent
                          ? std::string("missing")
                          : std::string(kind_name(field.kind)) + ", not a device's name")};
}

/// The mapped values of a record, from the fields collected at their paths (in `values` order).
void read_values(const std::vector<PathField>& fields, const Source& source, SourceRecord& record) {
  for (std::size_t i = 0; i < source.values.size(); ++i) {
    const PathField& f = fields[i];
    const auto& [metric, path] = source.values[i];
    // Absent or null: this message does not carry the value (Zigbee2MQTT sends null for a value
    // a device has not measured yet).
    if (f.kind == PathField::Kind::absent || f.kind == PathField::Kind::null) continue;
    if (f.kind == PathField::Kind::number) {
      record.values.push_back({metric, f.number});
      continue;
    }
    record.values.push_back({metric, Refusal{RejectReason::bad_payload,
                                             "\"" + printable(format_json_path(path), 64) +
                                                 "\" is " + kind_name(f.kind) + ", not a number"}});
  }
  if (record.values.empty()) {
    std::string list;
    for (const auto& value : source.values)
      list += (list.empty() ? "" : ", ") + format_json_path(value.second);
    record.refusal =
        Refusal{RejectReason::bad_payload,
                "no mapped value in the payload (looked for " + printable(list, 200) + ")"};
  }
}

}  // namespace

SourceRecord read_source_record(std::string_view text, const Source& source) {
  SourceRecord record;
  record.text = text;
  if (text.empty()) {
    record.refusal = Refusal{RejectReason::bad_payload, "empty payload"};
    return record;
  }
  if (!text.starts_with('{')) {
    read_bare_record(text, source, record);
    return record;
  }

  // Thread-local scratch: a message's paths and fields, reused so a reading allocates little.
  // The values' paths first, then the timestamp's and the device's when the source has them.
  thread_local std::vector<const JsonPath*> paths;
  thread_local std::vector<PathField> fields;
  paths.clear();
  for (const auto& value : source.values) paths.push_back(&value.second);
  const std::size_t ts_at = paths.size();
  if (source.timestamp) paths.push_back(&*source.timestamp);
  const std::size_t device_at = paths.size();
  if (source.device) paths.push_back(&*source.device);
  fields.assign(paths.size(), PathField{});
  PathCollector collector(paths, fields);
  if (!nlohmann::json::sax_parse(text, &collector, nlohmann::json::input_format_t::json, true)) {
    record.refusal = Refusal{RejectReason::bad_payload, "invalid JSON"};
    return record;
  }
  if (source.timestamp) record.refusal = read_timestamp(fields[ts_at], source, record.ts);
  if (!record.refusal && source.device)
    record.refusal = read_device(fields[device_at], source, record.device);
  if (!record.refusal) read_values(fields, source, record);
  return record;
}

}  // namespace roomtemp

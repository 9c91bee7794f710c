#pragma once
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "timeutil.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace roomtemp {

/// What a history answer is written in.
enum class BodyFormat { json, csv };

/// What the request asks for: `format=json` or `format=csv` decides; without it, CSV when the
/// Accept header prefers text/csv to application/json, else JSON. Throws BadRequest for any
/// other `format`, and for `format=csv` where `csv_offered` is false (an answer that is not
/// rows); there an Accept that prefers text/csv still gets JSON.
BodyFormat requested_format(const httplib::Request& req, bool csv_offered);

/// True when an Accept header ranks text/csv above application/json: by q-value, a tie by
/// which is named more specifically (text/csv over text/* over */*); a full tie is JSON's.
bool accept_prefers_csv(std::string_view accept);

/// RFC 4180 text built a field at a time: fields separated by commas, CRLF after every record,
/// a field quoted when it holds a comma, a double quote, CR or LF (its quotes doubled).
class CsvWriter {
 public:
  /// Starts with the header record.
  explicit CsvWriter(std::span<const std::string_view> header);

  CsvWriter& text(std::string_view value);
  /// The shortest text that parses back to the same double; a non-finite one is empty.
  CsvWriter& number(double value);
  CsvWriter& integer(std::uint64_t value);
  /// RFC 3339 in UTC, spelled as the JSON answers spell times.
  CsvWriter& time(Micros t);
  /// An empty field: what JSON answers with null.
  CsvWriter& null();
  void end_record();

  /// Everything written so far.
  const std::string& str() const { return out_; }

 private:
  void separate();

  std::string out_;
  bool record_started_ = false;
};

/// A name to save an answer under: `parts` joined by '_', then from and to in compact UTC,
/// e.g. "B1_101_temperature_readings_20261122T110000Z_20261122T120000Z.csv". Characters other
/// than A-Z a-z 0-9 . _ - become '_'.
std::string csv_filename(std::initializer_list<std::string_view> parts, Micros from, Micros to);

/// A 200 with `body` as "text/csv; charset=utf-8", offered as a download named `filename`.
void send_csv(httplib::Response& res, const std::string& body, const std::string& filename);

}  // namespace roomtemp

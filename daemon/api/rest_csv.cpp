// CSV answers of the history routes (README, REST API): which format a request asks for, and
// an RFC 4180 writer whose numbers and times read back as the JSON answer's do.
#include "rest_csv.h"

#include <httplib.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "rest_params.h"

namespace roomtemp {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// How an Accept header rates one media type: the q of the most specific range that names it
/// (RFC 9110 §12.5.1), and how specific that was (2 type/subtype, 1 type/*, 0 */*).
struct Rating {
  double q = 0;
  int specificity = -1;  ///< -1: no range names it, so it is not acceptable
};

/// q of a media range's parameters: 1 when absent; nullopt when not a number in [0, 1].
std::optional<double> quality(std::string_view params) {
  double q = 1;
  while (!params.empty()) {
    const auto semi = params.find(';');
    const std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' ||
        param[1] != '=')
      continue;
    const std::string_view digits = param.substr(2);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), q);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || q < 0 || q > 1)
      return std::nullopt;
  }
  return q;
}

Rating rate(std::string_view accept, std::string_view type, std::string_view subtype) {
  Rating best;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    const std::string_view element = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const auto semi = element.find(';');
    const std::string range = lower(trim(element.substr(0, semi)));
    const auto q = quality(semi == std::string_view::npos ? "" : element.substr(semi + 1));
    if (!q) continue;  // a malformed element counts for nothing
    const auto slash = range.find('/');
    if (slash == std::string::npos) continue;
    const std::string_view t = std::string_view(range).substr(0, slash);
    const std::string_view s = std::string_view(range).substr(slash + 1);
    int specificity = -1;
    if (t == type && s == subtype)
      specificity = 2;
    else if (t == type && s == "*")
      specificity = 1;
    else if (t == "*" && s == "*")
      specificity = 0;
    if (specificity > best.specificity) best = {*q, specificity};
  }
  return best;
}

}  // namespace

bool accept_prefers_csv(std::string_view accept) {
  const Rating csv = rate(accept, "text", "csv");
  const Rating json = rate(accept, "application", "json");
  if (csv.q <= 0) return false;
  return csv.q > json.q || (csv.q == json.q && csv.specificity > json.specificity);
}

BodyFormat requested_format(const httplib::Request& req, bool csv_offered) {
  if (const auto format = params::optional(req, "format")) {
    if (*format == "json") return BodyFormat::json;
    if (*format != "csv") throw BadRequest("parameter 'format' must be json or csv");
    if (!csv_offered)
      throw BadRequest("format=csv is offered for readings and series; this answer is JSON only");
    return BodyFormat::csv;
  }
  if (csv_offered && req.has_header("Accept") && accept_prefers_csv(req.get_header_value("Accept")))
    return BodyFormat::csv;
  return BodyFormat::json;
}

CsvWriter::CsvWriter(std::span<const std::string_view> header) {
  for (std::string_view name : header) text(name);
  end_record();
}

void CsvWriter::separate() {
  if (record_started_) out_ += ',';
  record_started_ = true;
}

CsvWriter& CsvWriter::text(std::string_view value) {
  separate();
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out_ += value;
    return *this;
  }
  out_ += '"';
  for (char c : value) {
    if (c == '"') out_ += '"';
    out_ += c;
  }
  out_ += '"';
  return *this;
}

CsvWriter& CsvWriter::number(double value) {
  separate();
  if (!std::isfinite(value)) return *this;
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest round trip
  out_.append(buf, ptr);
  return *this;
}

CsvWriter& CsvWriter::integer(std::uint64_t value) {
  separate();
  out_ += std::to_string(value);
  return *this;
}

CsvWriter& CsvWriter::time(Micros t) {
  separate();
  out_ += format_rfc3339(t);
  return *this;
}

CsvWriter& CsvWriter::null() {
  separate();
  return *this;
}

void CsvWriter::end_record() {
  out_ += "\r\n";
  record_started_ = false;
}

std::string csv_filename(std::initializer_list<std::string_view> parts, Micros from, Micros to) {
  std::string name;
  auto add = [&](std::string_view part) {
    if (!name.empty()) name += '_';
    for (char c : part)
      name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
  };
  auto compact = [](Micros t) {  // 2026-11-22T11:00:00Z → 20261122T110000Z
    std::string s;
    for (char c : format_rfc3339(t))
      if (c != '-' && c != ':') s += c;
    return s;
  };
  for (std::string_view part : parts) add(part);
  add(compact(from));
  add(compact(to));
  return name + ".csv";
}

void send_csv(httplib::Response& res, const std::string& body, const std::string& filename) {
  res.status = 200;
  res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  res.set_content(body, "text/csv; charset=utf-8");
}

}  // namespace roomtemp

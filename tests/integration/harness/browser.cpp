#include "harness/browser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>
#include <sstream>

#include "harness/process.h"

namespace roomtemp::harness {

std::optional<std::string> chromium_path() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
    if (auto p = find_program(name)) return p;
  return std::nullopt;
}

std::string Browser::dump_dom(const std::string& url, int width, int height, int budget_ms) {
  const std::string out = dir_.file("dom-" + std::to_string(++runs_) + ".html");
  auto args = flags(budget_ms);
  args.insert(args.end(), {"--window-size=" + std::to_string(width) + "," + std::to_string(height),
                           "--dump-dom", url});
  last_log_ = run_to(out, args);
  return read_file(out);
}

std::string Browser::screenshot(const std::string& url, int width, int height) {
  const std::string png = dir_.file("shot-" + std::to_string(++runs_) + ".png");
  auto args = flags(5000);
  args.insert(args.end(), {"--window-size=" + std::to_string(width) + "," + std::to_string(height),
                           "--hide-scrollbars", "--screenshot=" + png, url});
  last_log_ = run_to(dir_.file("shot.out"), args);
  return png;
}

std::vector<std::string> Browser::failed_loads() const {
  std::vector<std::string> out;
  std::istringstream lines(last_log_);
  for (std::string line; std::getline(lines, line);)
    if (line.find("net::ERR_") != std::string::npos ||
        line.find("Failed to load resource") != std::string::npos)
      out.push_back(line);
  return out;
}

std::vector<std::string> Browser::flags(int budget_ms) {
  const std::string profile = dir_.subdir("profile-" + std::to_string(runs_));
  return {"--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-dev-shm-usage",
          "--enable-logging=stderr",
          "--v=0",
          "--user-data-dir=" + profile,
          "--virtual-time-budget=" + std::to_string(budget_ms)};
}

std::string Browser::run_to(const std::string& out, const std::vector<std::string>& args) {
  ProcessSpec spec;
  // sh only to send stdout (the DOM) and stderr (logs) to different places.
  spec.argv = {"/bin/sh", "-c", "out=$1; shift; exec \"$@\" >\"$out\"", "sh", out, path_};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = {{"HOME", dir_.path()}};
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run(std::move(spec), std::chrono::seconds(90));
  last_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 0) << "chromium failed:\n" << r.output;
  return r.output;
}

std::string js_fixed1(double x) {
  char exact[1200];
  std::snprintf(exact, sizeof exact, "%.1100f", std::fabs(x));  // glibc prints every digit
  std::string s(exact);
  const auto dot = s.find('.');
  std::string whole = s.substr(0, dot);
  int tenth = s[dot + 1] - '0';
  const std::string rest = s.substr(dot + 2);
  if (rest[0] >= '5') {  // at or past the half: up, so a tie goes away from zero
    if (++tenth == 10) {
      tenth = 0;
      whole = std::to_string(std::stoll(whole) + 1);
    }
  }
  std::string text = whole + "." + std::to_string(tenth);
  if (x < 0 && text != "0.0") text = "-" + text;
  return text;
}

std::string shown(const nlohmann::json& stats, const char* field) {
  if (stats.is_null() || !stats.contains(field) || stats[field].is_null()) return "—";
  return js_fixed1(stats[field].get<double>());
}

std::string value_span(const std::string& cls, const std::string& window, const std::string& text) {
  return "<span class=\"" + cls + "\" data-window=\"" + window + "\">" + text + "</span>";
}

std::string element_with(const std::string& dom, const std::string& tag,
                         const std::string& marker) {
  const auto at = dom.find(marker);
  if (at == std::string::npos) return "";
  const auto open = dom.rfind("<" + tag, at);
  const auto close = dom.find("</" + tag + ">", at);
  if (open == std::string::npos || close == std::string::npos) return "";
  return dom.substr(open, close + tag.size() + 3 - open);
}

std::string between(const std::string& text, const std::string& from, const std::string& to) {
  const auto a = text.find(from);
  if (a == std::string::npos) return "";
  const auto b = text.find(to, a + from.size());
  return b == std::string::npos ? "" : text.substr(a, b - a);
}

std::optional<std::string> attribute(const std::string& element, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const auto at = element.find(key);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + key.size();
  const auto end = element.find('"', start);
  if (end == std::string::npos) return std::nullopt;
  return element.substr(start, end - start);
}

std::optional<long long> body_number(const std::string& dom, const std::string& name) {
  const auto body = dom.find("<body");
  if (body == std::string::npos) return std::nullopt;
  const auto value = attribute(dom.substr(body, dom.find('>', body) - body), "data-" + name);
  if (!value || value->empty()) return std::nullopt;
  try {
    return std::stoll(*value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string dashboard_room_card(const std::string& dom, const std::string& building,
                                const std::string& room) {
  return element_with(dom, "article",
                      "data-building=\"" + building + "\" data-room=\"" + room + "\"");
}

int painted_hue(const std::string& element) {
  std::smatch m;
  static const std::regex hue(R"(--hue: (\d+))");
  return std::regex_search(element, m, hue) ? std::stoi(m[1]) : -1;
}

bool has_chart(const std::string& element) {
  return element.find("<canvas") != std::string::npos &&
         element.find("style=\"display: block;") != std::string::npos &&
         element.find("<span class=\"chart-note\"></span>") != std::string::npos;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace roomtemp::harness

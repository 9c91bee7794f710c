#pragma once
// Headless Chromium for the dashboard tests, and reading what the page rendered: the DOM it
// dumps, the numbers as the page formats them, and the counters the page keeps on <body>.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/temp_dir.h"

namespace roomtemp::harness {

/// chromium (or chromium-browser, google-chrome) on PATH, or nullopt.
std::optional<std::string> chromium_path();

/// Headless Chromium, a fresh profile for every run, nothing fetched from the internet.
class Browser {
 public:
  explicit Browser(std::string path) : path_(std::move(path)) {}

  /// The DOM after the page ran for `budget_ms` of virtual time (its fetches finish first) in
  /// a window `width` × `height` (tall enough that the cards to check are on screen).
  std::string dump_dom(const std::string& url, int width = 1280, int height = 2400,
                       int budget_ms = 5000);

  /// A PNG of the page (its path), `width` × `height`.
  std::string screenshot(const std::string& url, int width = 1280, int height = 900);

  /// What Chromium printed (stderr) in its last run: console messages are in there.
  const std::string& last_log() const { return last_log_; }

  /// The lines of the last run's log that tell of a request that failed: network errors
  /// (net::ERR_…) and loads the console reports as failed.
  std::vector<std::string> failed_loads() const;

  /// How long the last run took, in seconds.
  double last_seconds() const { return last_seconds_; }

 private:
  std::vector<std::string> flags(int budget_ms);
  /// Runs chromium with `args`, its stdout into `out`; returns its stderr.
  std::string run_to(const std::string& out, const std::vector<std::string>& args);

  std::string path_;
  TempDir dir_{"roomtemp-chromium"};
  int runs_ = 0;
  std::string last_log_;
  double last_seconds_ = 0;
};

// ---------------------------------------------------------------------------------------
// The page's markup and formatting, as web/*.js write them.

/// Number.prototype.toFixed(1), exactly: the nearest tenth of the double's exact decimal
/// value, a tie going away from zero (printf would round it to even); "-0.0" shows as "0.0".
std::string js_fixed1(double x);

/// A number of an average's JSON as the page shows it; "—" for null (an empty window).
std::string shown(const nlohmann::json& stats, const char* field);

/// <span class="v" data-window="15m">21.4</span>
std::string value_span(const std::string& cls, const std::string& window, const std::string& text);

/// The text from the element that carries `marker` (searching back for `<tag`) to its
/// closing tag; "" when absent. For elements that do not nest in themselves (cards, sections).
std::string element_with(const std::string& dom, const std::string& tag, const std::string& marker);

/// What lies between two markers ("" when either is absent).
std::string between(const std::string& text, const std::string& from, const std::string& to);

/// The value of attribute `name` in the first tag of `element` that has it; nullopt when none.
std::optional<std::string> attribute(const std::string& element, const std::string& name);

/// A number the page keeps on <body data-`name`="…">; nullopt when absent.
std::optional<long long> body_number(const std::string& dom, const std::string& name);

/// A room's card (<article class="card room" data-building=… data-room=…>…</article>); "" when
/// the page shows none.
std::string dashboard_room_card(const std::string& dom, const std::string& building,
                                const std::string& room);

/// The --hue the page painted an element with, or -1.
int painted_hue(const std::string& element);

/// Chart.js sized and styled the element's canvas, and no note stands in for the chart: a
/// chart was drawn in it.
bool has_chart(const std::string& element);

/// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle);

}  // namespace roomtemp::harness

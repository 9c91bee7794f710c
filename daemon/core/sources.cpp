#include "sources.h"

#include <algorithm>

namespace roomtemp {
namespace {

struct CaptureName {
  std::string_view name;
  Capture capture;
};
constexpr CaptureName kCaptureNames[] = {{"{building}", Capture::building},
                                         {"{room}", Capture::room},
                                         {"{metric}", Capture::metric},
                                         {"{device}", Capture::device}};

/// Whether a level of one template and a level of another can hold the same topic level.
bool levels_meet(const TemplateLevel& a, const TemplateLevel& b) {
  using Kind = TemplateLevel::Kind;
  if (a.kind == Kind::literal && b.kind == Kind::literal) return a.text == b.text;
  return true;  // a capture or + matches any one level, so any literal too
}

}  // namespace

std::string TopicTemplate::filter() const {
  std::string out;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (i) out += '/';
    switch (levels[i].kind) {
      case TemplateLevel::Kind::literal:
        out += levels[i].text;
        break;
      case TemplateLevel::Kind::capture:
      case TemplateLevel::Kind::plus:
        out += '+';
        break;
      case TemplateLevel::Kind::hash:
        out += '#';
        break;
    }
  }
  return out;
}

bool TopicTemplate::captures(Capture c) const {
  return std::any_of(levels.begin(), levels.end(), [c](const TemplateLevel& l) {
    return l.kind == TemplateLevel::Kind::capture && l.capture == c;
  });
}

std::variant<TopicTemplate, std::string> parse_topic_template(std::string_view text) {
  if (text.empty()) return std::string("a topic must not be empty");
  if (text.size() > 1024) return std::string("a topic is at most 1024 characters");
  TopicTemplate t;
  t.text = std::string(text);
  std::size_t start = 0;
  bool seen[4] = {false, false, false, false};
  while (true) {
    const std::size_t slash = text.find('/', start);
    const std::string_view level = text.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    TemplateLevel l;
    if (!t.levels.empty() && t.levels.back().kind == TemplateLevel::Kind::hash)
      return std::string("# must be the last level");
    if (level == "+") {
      l.kind = TemplateLevel::Kind::plus;
    } else if (level == "#") {
      l.kind = TemplateLevel::Kind::hash;
    } else if (level.starts_with('{')) {
      const auto* found = std::find_if(std::begin(kCaptureNames), std::end(kCaptureNames),
                                       [&](const CaptureName& c) { return c.name == level; });
      if (found == std::end(kCaptureNames))
        return "unknown capture '" + std::string(level) +
               "' (expected {building}, {room}, {metric} or {device}, each a whole level)";
      auto& once = seen[static_cast<int>(found->capture)];
      if (once) return std::string(found->name) + " is captured twice";
      once = true;
      l.kind = TemplateLevel::Kind::capture;
      l.capture = found->capture;
    } else {
      if (level.find_first_of("+#{}") != std::string_view::npos)
        return "level '" + std::string(level) +
               "': + and # stand alone, and a capture is a whole level such as {room}";
      if (level.find('\0') != std::string_view::npos) return std::string("a topic holds no NUL");
      l.text = std::string(level);
    }
    t.levels.push_back(std::move(l));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return t;
}

bool templates_overlap(const TopicTemplate& a, const TopicTemplate& b) {
  using Kind = TemplateLevel::Kind;
  const std::size_t n = std::min(a.levels.size(), b.levels.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a.levels[i].kind == Kind::hash || b.levels[i].kind == Kind::hash) return true;
    if (!levels_meet(a.levels[i], b.levels[i])) return false;
  }
  if (a.levels.size() == b.levels.size()) return true;
  // One is longer: they share a topic only when its next level is # (which matches its parent).
  const auto& longer = a.levels.size() > b.levels.size() ? a.levels : b.levels;
  return longer[n].kind == Kind::hash;
}

bool match_template(const TopicTemplate& t, std::string_view topic, TopicCaptures& out) {
  using Kind = TemplateLevel::Kind;
  TopicCaptures found;
  std::size_t start = 0;
  const std::size_t count = t.levels.size();
  for (std::size_t i = 0; i < count; ++i) {
    const TemplateLevel& l = t.levels[i];
    if (l.kind == Kind::hash) {
      // MQTT: # matches the parent level too, but never a topic starting with $.
      if (i == 0 && topic.starts_with('$')) return false;
      out = found;
      return true;
    }
    if (start > topic.size()) return false;  // the topic has fewer levels
    const std::size_t slash = topic.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? topic.size() : slash;
    const std::string_view level = topic.substr(start, end - start);
    if (i == 0 && l.kind != Kind::literal && topic.starts_with('$')) return false;
    switch (l.kind) {
      case Kind::literal:
        if (level != l.text) return false;
        break;
      case Kind::plus:
        break;
      case Kind::capture:
        switch (l.capture) {
          case Capture::building:
            found.building = level;
            break;
          case Capture::room:
            found.room = level;
            break;
          case Capture::metric:
            found.metric = level;
            break;
          case Capture::device:
            found.device = level;
            break;
        }
        break;
      case Kind::hash:
        break;
    }
    // Past the last level, `start` lies beyond the topic's end.
    start = slash == std::string_view::npos ? topic.size() + 1 : slash + 1;
  }
  if (start <= topic.size()) return false;  // the topic has more levels
  out = found;
  return true;
}

std::variant<JsonPath, std::string> parse_json_path(std::string_view text) {
  JsonPath path;
  if (text.empty()) return path;
  std::string key;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 == text.size() || (text[i + 1] != '.' && text[i + 1] != '\\'))
        return std::string("a backslash escapes only a dot or a backslash (a\\.b is the key a.b)");
      key += text[++i];
    } else if (c == '.') {
      if (key.empty()) return std::string("a path has no empty key (nothing between two dots)");
      path.keys.push_back(std::move(key));
      key.clear();
    } else {
      key += c;
    }
  }
  if (key.empty()) return std::string("a path has no empty key (it ends in a dot)");
  path.keys.push_back(std::move(key));
  return path;
}

std::string format_json_path(const JsonPath& path) {
  std::string out;
  for (std::size_t i = 0; i < path.keys.size(); ++i) {
    if (i) out += '.';
    for (char c : path.keys[i]) {
      if (c == '.' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

const JsonPath* Source::value_path(std::string_view metric) const {
  for (const auto& [name, path] : values)
    if (name == metric) return &path;
  return nullptr;
}

const Source* SourceSet::find(std::string_view topic, TopicCaptures& out) const {
  for (const Source& s : sources)
    if (match_template(s.topic, topic, out)) return &s;
  return nullptr;
}

std::vector<std::string> SourceSet::filters() const {
  std::vector<std::string> out;
  for (const Source& s : sources) {
    std::string f = s.topic.filter();
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
  }
  return out;
}

bool SourceSet::same_topics(const SourceSet& other) const {
  if (sources.size() != other.sources.size()) return false;
  for (std::size_t i = 0; i < sources.size(); ++i)
    if (sources[i].topic != other.sources[i].topic ||
        sources[i].subscription != other.sources[i].subscription)
      return false;
  return true;
}

}  // namespace roomtemp

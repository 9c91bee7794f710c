#pragma once
// The checked values of a YAML configuration (app/config_file.cpp reads the sections with them):
// every mistake an error with its FILE:LINE:COL, every file key remembered for load_config.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config_file.h"
#include "duration.h"

namespace roomtemp {

/// Collects the errors of one file while its values are read: a mapping's keys against the ones
/// it may hold, scalars, strings, files, booleans, integers, numbers, durations and lists.
class ConfigReader {
 public:
  explicit ConfigReader(std::string file) : file_(std::move(file)) {}

  std::vector<ConfigError> errors;
  std::vector<FileReference> files;

  void error(const YAML::Mark& mark, std::string message) {
    errors.push_back({file_, mark.line + 1, mark.column + 1, std::move(message)});
  }

  /// Checks that `node` is a map whose keys are all in `allowed`; `where` names it in errors.
  bool check_map(const YAML::Node& node, const std::string& where,
                 std::span<const std::string_view> allowed) {
    // A section whose keys are all commented out means "all defaults".
    if (node.IsNull() && !where.empty()) return false;
    if (!node.IsMap()) {
      error(node.Mark(), (where.empty() ? "the top level" : where) + ": expected a mapping");
      return false;
    }
    std::set<std::string> seen;  // yaml-cpp keeps duplicate keys and lookups see only the first
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      if (!seen.insert(key).second)
        error(kv.first.Mark(), "key '" + qualify(where, key) + "' is given twice");
      bool known = false;
      for (std::string_view a : allowed) known |= key == a;
      if (!known) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error(kv.first.Mark(),
              "unknown key '" + qualify(where, key) + "' (expected one of: " + list + ")");
      }
    }
    return true;
  }

  static std::string qualify(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

  bool scalar(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) {
      error(n.Mark(), key + ": expected a single value");
      return false;
    }
    return true;
  }

  void string(const YAML::Node& map, const std::string& where, const char* key, std::string& out) {
    const YAML::Node n = map[key];
    if (!n) return;
    const std::string q = qualify(where, key);
    if (n.IsNull()) {
      out.clear();
      return;
    }
    if (scalar(n, q)) out = n.Scalar();
  }

  /// A key naming a file read at start: remembered with its position for load_config.
  void file(const YAML::Node& map, const std::string& where, const char* key, std::string& out) {
    string(map, where, key, out);
    if (const YAML::Node n = map[key]; n && !out.empty())
      files.push_back({qualify(where, key), out, n.Mark().line + 1, n.Mark().column + 1});
  }

  void boolean(const YAML::Node& map, const std::string& where, const char* key, bool& out) {
    const YAML::Node n = map[key];
    if (!n) return;
    const std::string q = qualify(where, key);
    if (!scalar(n, q)) return;
    bool v;
    if (YAML::convert<bool>::decode(n, v))
      out = v;
    else
      error(n.Mark(), q + ": expected true or false, got '" + n.Scalar() + "'");
  }

  template <typename Int>
  void integer(const YAML::Node& map, const std::string& where, const char* key, Int& out,
               long long lo, long long hi) {
    const YAML::Node n = map[key];
    if (!n) return;
    const std::string q = qualify(where, key);
    if (!scalar(n, q)) return;
    long long v;
    std::istringstream in(n.Scalar());
    if (!(in >> v) || !in.eof()) {
      error(n.Mark(), q + ": expected an integer, got '" + n.Scalar() + "'");
    } else if (v < lo || v > hi) {
      error(n.Mark(), q + ": " + n.Scalar() + " is out of range [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
    } else {
      out = static_cast<Int>(v);
    }
  }

  bool number(const YAML::Node& n, const std::string& q, double& out) {
    if (!scalar(n, q)) return false;
    double v;
    std::istringstream in(n.Scalar());
    if (!(in >> v) || !in.eof() || !std::isfinite(v)) {
      error(n.Mark(), q + ": expected a number, got '" + n.Scalar() + "'");
      return false;
    }
    out = v;
    return true;
  }

  bool duration_value(const YAML::Node& n, const std::string& q, Duration& out, Duration lo) {
    if (!scalar(n, q)) return false;
    auto d = parse_duration(n.Scalar());
    if (!d) {
      error(n.Mark(),
            q + ": expected a duration like 500ms, 10s, 15m, 1h or 7d, got '" + n.Scalar() + "'");
      return false;
    }
    if (*d < lo) {
      error(n.Mark(),
            q + ": " + n.Scalar() + " is shorter than the minimum " + format_duration(lo));
      return false;
    }
    out = *d;
    return true;
  }

  /// A duration that zero (0, 0s, 0d…) turns off; any other is at least `lo`.
  bool duration_or_off(const YAML::Node& n, const std::string& q, Duration& out, Duration lo,
                       const std::string& zero_means) {
    Duration d;
    if (!duration_value(n, q, d, Duration(0))) return false;
    if (d.count() != 0 && d < lo) {
      error(n.Mark(), q + ": " + n.Scalar() + " is shorter than the minimum " +
                          format_duration(lo) + " (" + zero_means + ")");
      return false;
    }
    out = d;
    return true;
  }

  void duration(const YAML::Node& map, const std::string& where, const char* key, Duration& out,
                Duration lo) {
    const YAML::Node n = map[key];
    if (n) duration_value(n, qualify(where, key), out, lo);
  }

  template <typename Fn>
  void sequence(const YAML::Node& map, const std::string& where, const char* key, Fn&& each) {
    const YAML::Node n = map[key];
    if (!n) return;
    const std::string q = qualify(where, key);
    if (!n.IsSequence()) {
      error(n.Mark(), q + ": expected a list");
      return;
    }
    if (n.size() == 0) error(n.Mark(), q + ": must not be empty");
    for (std::size_t i = 0; i < n.size(); ++i) each(n[i], q + "[" + std::to_string(i) + "]");
  }

 private:
  std::string file_;
};

}  // namespace roomtemp

// The configuration reference cannot drift from the parser: known_config_keys()
// is built from the key lists the parser checks, and every one of those keys is in the example
// config/roomtemp.yaml (with its default) and in README.md's "## Configuration" table (with its
// default and whether a reload applies it), while neither names a key the parser refuses.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config_file.h"
#include "config_test_support.h"
#include "source_files.h"

namespace roomtemp {
namespace {

using test::kSourceDir;
using test::read_text;

using config_test::dump;

std::vector<std::string> split_dots(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

/// The dotted keys a YAML config sets, values keyed by them; a metric's name becomes <name>
/// (as in known_config_keys()).
void collect_keys(const YAML::Node& node, const std::string& path,
                  std::map<std::string, YAML::Node>& out) {
  for (const auto& kv : node) {
    const std::string key = path == "metrics" ? "<name>" : kv.first.Scalar();
    const std::string dotted = path.empty() ? key : path + "." + key;
    if (kv.second.IsMap())
      collect_keys(kv.second, dotted, out);
    else
      out.emplace(dotted, kv.second);
  }
}

/// Two YAML values are the same value (quoting, flow or block style aside).
bool same_value(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_value(a[i], b[i])) return false;
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& kv : a)
      if (!b[kv.first.Scalar()] || !same_value(kv.second, b[kv.first.Scalar()])) return false;
  }
  return true;
}

/// Sets `key` (dotted, <name> → temperature) to `value` in a config that has a dsn.
std::string config_setting(const std::string& key, const std::string& value) {
  YAML::Node root;
  root["postgres"]["dsn"] = "dbname=x";
  YAML::Node node = root;
  const auto parts = split_dots(key);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = node[parts[i] == "<name>" ? "temperature" : parts[i]];
    node.reset(next);
  }
  node[parts.back()] = value;
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

bool mentions_unknown(const ConfigResult& r, const std::string& key) {
  std::string dotted = key;
  if (auto at = dotted.find("<name>"); at != std::string::npos)
    dotted.replace(at, 6, "temperature");
  return std::any_of(r.errors.begin(), r.errors.end(), [&](const ConfigError& e) {
    return e.message.find("unknown key '" + dotted + "'") != std::string::npos;
  });
}

// --- the list itself ----------------------------------------------------------------------

TEST(KnownConfigKeys, AreUniqueLeavesWithTheirSectionsSpelledOut) {
  const auto keys = known_config_keys();
  ASSERT_FALSE(keys.empty());
  std::set<std::string> seen;
  for (const auto& key : keys) {
    EXPECT_TRUE(seen.insert(key).second) << key << " listed twice";
    // No key is a prefix of another: only values are listed, not the mappings holding them.
    for (const auto& other : keys)
      EXPECT_NE(other.rfind(key + ".", 0), 0u) << key << " / " << other;
  }
  for (const char* expected : {"mqtt.tls.ca_file", "metrics.<name>.min", "http.read_token_file"})
    EXPECT_TRUE(seen.count(expected)) << expected;
}

// Each listed key is one the parser takes (never "unknown key"), and the same key misspelt is
// refused: the list is the parser's, not a copy beside it.
TEST(KnownConfigKeys, AreExactlyWhatTheParserAccepts) {
  for (const auto& key : known_config_keys()) {
    SCOPED_TRACE(key);
    const ConfigResult set = parse_config(config_setting(key, "1"), "test.yaml");
    EXPECT_FALSE(mentions_unknown(set, key)) << dump(set);
    const ConfigResult misspelt = parse_config(config_setting(key + "x", "1"), "test.yaml");
    EXPECT_TRUE(mentions_unknown(misspelt, key + "x")) << dump(misspelt);
  }
}

// --- config/roomtemp.yaml --------------------------------------------------------------------

class ExampleConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = kSourceDir / "config" / "roomtemp.yaml";
    ASSERT_TRUE(std::filesystem::exists(path_)) << path_;
    collect_keys(YAML::LoadFile(path_.string()), "", keys_);
  }
  std::filesystem::path path_;
  std::map<std::string, YAML::Node> keys_;
};

TEST_F(ExampleConfig, SetsEveryKnownKey) {
  for (const auto& key : known_config_keys())
    EXPECT_TRUE(keys_.count(key)) << key << " is not in config/roomtemp.yaml: add it with its "
                                  << "default and a comment";
}

TEST_F(ExampleConfig, SetsNoUnknownKey) {
  const auto known = known_config_keys();
  for (const auto& [key, value] : keys_)
    EXPECT_NE(std::find(known.begin(), known.end(), key), known.end())
        << key << " is in config/roomtemp.yaml but the parser does not know it";
}

// Its header says "the values shown are the defaults": parsed, it equals a config that sets
// nothing but the (required) dsn.
TEST_F(ExampleConfig, ShowsTheDefaults) {
  const ConfigResult example = load_config(path_.string());
  ASSERT_TRUE(example.config) << dump(example);
  const ConfigResult bare =
      parse_config("postgres:\n  dsn: \"" + example.config->postgres.dsn + "\"\n", "bare.yaml");
  ASSERT_TRUE(bare.config) << dump(bare);
  const Config& e = *example.config;
  const Config& d = *bare.config;
  EXPECT_TRUE(e.mqtt == d.mqtt);
  EXPECT_TRUE(e.postgres == d.postgres);
  EXPECT_TRUE(e.spool == d.spool);
  EXPECT_TRUE(e.metrics == d.metrics);
  EXPECT_TRUE(e.averages == d.averages);
  EXPECT_TRUE(e.http == d.http);
  EXPECT_TRUE(e.limits == d.limits);
  EXPECT_TRUE(e.alarms == d.alarms);
  EXPECT_TRUE(e.silence == d.silence);
  EXPECT_TRUE(e.log == d.log);
}

// --- README.md, "## Configuration" -----------------------------------------------------------

/// One row of the reference table: | `key` | `default` | meaning | reload? |
struct ReferenceRow {
  std::string key, default_value, meaning, reload;
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// The text between backticks, or "" when the cell is not `code`.
std::string code_of(const std::string& cell) {
  const std::string t = trim(cell);
  return t.size() >= 2 && t.front() == '`' && t.back() == '`' ? t.substr(1, t.size() - 2) : "";
}

class ReadmeConfiguration : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string readme = read_text(kSourceDir / "README.md");
    const auto start = readme.find("\n## Configuration\n");
    ASSERT_NE(start, std::string::npos) << "README.md has no \"## Configuration\" section";
    const auto end = readme.find("\n## ", start + 1);
    section_ = readme.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::istringstream lines(section_);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("| `", 0) != 0) continue;
      std::vector<std::string> cells;
      std::stringstream row(line.substr(1));
      for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell);
      ASSERT_GE(cells.size(), 4u) << line;
      rows_.push_back({code_of(cells[0]), cells[1], trim(cells[2]), trim(cells[3])});
    }
    collect_keys(YAML::LoadFile((kSourceDir / "config" / "roomtemp.yaml").string()), "", example_);
  }
  std::string section_;
  std::vector<ReferenceRow> rows_;
  std::map<std::string, YAML::Node> example_;
};

TEST_F(ReadmeConfiguration, DocumentsEveryKnownKey) {
  for (const auto& key : known_config_keys()) {
    const bool documented = std::any_of(rows_.begin(), rows_.end(),
                                        [&](const ReferenceRow& r) { return r.key == key; });
    EXPECT_TRUE(documented) << key << " has no row in README.md's configuration table";
  }
}

TEST_F(ReadmeConfiguration, DocumentsNoUnknownKey) {
  ASSERT_FALSE(rows_.empty()) << "no | `key` | … | rows in README.md's \"## Configuration\"";
  const auto known = known_config_keys();
  std::set<std::string> seen;
  for (const auto& row : rows_) {
    EXPECT_NE(std::find(known.begin(), known.end(), row.key), known.end())
        << row.key << " is in README.md's configuration table but the parser does not know it";
    EXPECT_TRUE(seen.insert(row.key).second) << row.key << " has two rows";
  }
}

// The default column says what the example config (checked above to be the defaults) says;
// a key without a default says **required**, and a config without it is refused naming it.
TEST_F(ReadmeConfiguration, DefaultsAreTheExampleConfigsValues) {
  for (const auto& row : rows_) {
    SCOPED_TRACE(row.key);
    if (trim(row.default_value) == "**required**") {
      const ConfigResult without = parse_config("log:\n  level: info\n", "required.yaml");
      EXPECT_TRUE(std::any_of(without.errors.begin(), without.errors.end(),
                              [&](const ConfigError& e) {
                                return e.message.find(row.key + " is required") !=
                                       std::string::npos;
                              }))
          << "README says required, but a config without it is accepted" << dump(without);
      continue;
    }
    const std::string text = code_of(row.default_value);
    ASSERT_FALSE(text.empty()) << "the default is written `like this`: " << row.default_value;
    auto it = example_.find(row.key);
    if (it == example_.end()) continue;  // reported by the ExampleConfig tests
    EXPECT_TRUE(same_value(YAML::Load(text), it->second))
        << "README says " << text << ", config/roomtemp.yaml says " << YAML::Dump(it->second);
  }
}

// The reload column follows the daemon's table of what a SIGHUP cannot change
// (kRestartOnlyKeys in daemon/app/reload.cpp): "restart" for those (and the keys inside them),
// "live" for the rest.
TEST_F(ReadmeConfiguration, ReloadColumnFollowsTheDaemonsRestartOnlyKeys) {
  const std::string daemon = read_text(kSourceDir / "daemon" / "app" / "reload.cpp");
  const auto table = daemon.find("kRestartOnlyKeys[]");
  ASSERT_NE(table, std::string::npos) << "daemon/app/reload.cpp no longer has kRestartOnlyKeys[]";
  const std::string body = daemon.substr(table, daemon.find("};", table) - table);
  std::set<std::string> restart_only;
  const std::regex entry(R"re(restart_only<[^>]*>\("([a-z_.]+)"\))re");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), entry);
       it != std::sregex_iterator(); ++it)
    restart_only.insert((*it)[1].str());
  ASSERT_FALSE(restart_only.empty()) << "no restart_only<…>(\"key\") entries in kRestartOnlyKeys";
  for (const auto& key : restart_only) {
    const auto known = known_config_keys();
    EXPECT_TRUE(
        std::any_of(known.begin(), known.end(),
                    [&](const std::string& k) { return k == key || k.rfind(key + ".", 0) == 0; }))
        << key << " (reload.cpp) is no configuration key";
  }
  for (const auto& row : rows_) {
    bool restart = false;
    for (const auto& key : restart_only)
      restart |= row.key == key || row.key.rfind(key + ".", 0) == 0;
    EXPECT_EQ(row.reload, restart ? "restart" : "live") << row.key;
  }
}

// Every YAML example in the section is a valid config (no unknown or misspelt key).
TEST_F(ReadmeConfiguration, ItsYamlExamplesAreValid) {
  std::size_t examples = 0;
  for (auto at = section_.find("```yaml\n"); at != std::string::npos;
       at = section_.find("```yaml\n", at + 1)) {
    const auto start = at + 8;
    const std::string yaml = section_.substr(start, section_.find("```", start) - start);
    const ConfigResult r = parse_config(yaml, "README.md");
    EXPECT_TRUE(r.errors.empty()) << yaml << dump(r);
    ++examples;
  }
  EXPECT_GT(examples, 0u) << "the section shows no ```yaml example";
}

}  // namespace
}  // namespace roomtemp

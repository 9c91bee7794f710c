// GET /metrics from the real server: the process_* metrics of the Prometheus client libraries
// and roomtemp_build_info are there with plausible values (README, Metrics), and every line
// of the answer is valid text exposition format, checked by a small parser here (and by
// promtool when it is installed).
#include "process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "programs.h"
#include "rest_server.h"
#include "version.h"

namespace roomtemp {
namespace {

using rest_test::RestServer;

/// One family of a scrape: its TYPE and its samples ("name{labels}" → value).
struct Family {
  std::string type;
  std::map<std::string, double> samples;
};

/// The family a sample name belongs to, given the TYPEs declared so far: histogram and summary
/// samples carry suffixes.
std::string family_of(const std::string& sample, const std::map<std::string, Family>& declared) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
      const auto base = sample.substr(0, sample.size() - s.size());
      auto it = declared.find(base);
      if (it != declared.end() && (it->second.type == "histogram" || it->second.type == "summary"))
        return base;
    }
  }
  return sample;
}

/// Parses text exposition format 0.0.4 strictly: HELP and TYPE at most once per family and
/// before its samples, a family's samples together, valid names, label sets and values.
/// Adds a test failure for each line that breaks a rule.
std::map<std::string, Family> parse_exposition(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
  static const std::regex type(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? )"
      R"(([^ ]+)( -?[0-9]+)?)");
  std::map<std::string, Family> families;
  std::set<std::string> helped, finished;
  std::string current;  // the family of the previous sample
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the last line must end with a newline";
  std::size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    SCOPED_TRACE("line " + std::to_string(number) + ": " + line);
    std::smatch m;
    if (line.empty()) continue;
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "a second HELP";
      EXPECT_FALSE(families.count(m[1]) && !families[m[1]].samples.empty()) << "HELP after samples";
    } else if (std::regex_match(line, m, type)) {
      EXPECT_FALSE(families.count(m[1])) << "a second TYPE, or TYPE after samples";
      families[m[1]].type = m[2];
    } else if (line[0] == '#') {
      EXPECT_TRUE(line.rfind("# HELP", 0) != 0 && line.rfind("# TYPE", 0) != 0) << "malformed";
    } else if (std::regex_match(line, m, sample)) {
      const std::string name = family_of(m[1], families);
      if (name != current) {
        EXPECT_FALSE(finished.count(name)) << "the family's samples are not together";
        if (!current.empty()) finished.insert(current);
        current = name;
      }
      const std::string value = m[3];
      char* stop = nullptr;
      const double v = value == "+Inf"   ? HUGE_VAL
                       : value == "-Inf" ? -HUGE_VAL
                                         : std::strtod(value.c_str(), &stop);
      EXPECT_TRUE(value == "+Inf" || value == "-Inf" || value == "NaN" ||
                  (stop == value.c_str() + value.size() && std::isfinite(v)))
          << "not a value: " << value;
      if (families[name].type == "histogram" && m[1].str() == name + "_bucket") {
        EXPECT_NE(m[2].str().find("le=\""), std::string::npos) << "a bucket without le";
      }
      EXPECT_TRUE(families[name].samples.emplace(m[1].str() + m[2].str(), v).second)
          << "a repeated sample";
    } else {
      ADD_FAILURE() << "neither a comment nor a sample";
    }
  }
  return families;
}

class ProcessMetrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new RestServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static std::string scrape_text() {
    auto res = server_->client().Get("/metrics");
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
    return res->body;
  }

  /// The value of the one sample of `name` (a process_* family), expecting its TYPE.
  static double value(const std::string& name, const std::string& type) {
    const auto families = parse_exposition(scrape_text());
    auto it = families.find(name);
    if (it == families.end()) {
      ADD_FAILURE() << name << " is not on /metrics";
      return NAN;
    }
    EXPECT_EQ(it->second.type, type) << name;
    EXPECT_EQ(it->second.samples.size(), 1u) << name;
    auto s = it->second.samples.find(name);
    if (s == it->second.samples.end()) {
      ADD_FAILURE() << name << " has no unlabelled sample";
      return NAN;
    }
    return s->second;
  }

  static RestServer* server_;
};

RestServer* ProcessMetrics::server_ = nullptr;

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double rusage_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

TEST_F(ProcessMetrics, EveryLineIsValidExpositionFormatWithHelpAndType) {
  const std::string text = scrape_text();
  const auto families = parse_exposition(text);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds", "roomtemp_build_info"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(families.count(name));
    EXPECT_NE(text.find(std::string("# HELP ") + name + " "), std::string::npos);
  }
  // The families that were there before are still parsed (the parser sees the whole answer).
  EXPECT_EQ(families.at("roomtemp_write_batch_seconds").type, "histogram");
}

TEST_F(ProcessMetrics, StartTimeIsWithinTheLastHour) {
  const double now = wall_seconds();
  const double start = value("process_start_time_seconds", "gauge");
  EXPECT_LE(start, now + 0.05);
  EXPECT_GT(start, now - 3600);
  EXPECT_EQ(value("process_start_time_seconds", "gauge"), start) << "it must not move";
}

TEST_F(ProcessMetrics, MemoryIsResidentAndWithinVirtual) {
  const double rss = value("process_resident_memory_bytes", "gauge");
  const double vsz = value("process_virtual_memory_bytes", "gauge");
  EXPECT_GT(rss, 0);
  EXPECT_EQ(std::fmod(rss, static_cast<double>(::sysconf(_SC_PAGESIZE))), 0) << "whole pages";
  EXPECT_GT(vsz, rss);
  // 64 MiB more, every page written (volatile: the writes cannot be optimised away).
  std::vector<char> block(64 << 20);
  volatile char* bytes = block.data();
  for (std::size_t i = 0; i < block.size(); i += 4096) bytes[i] = 1;
  EXPECT_GE(value("process_resident_memory_bytes", "gauge"), rss + (48 << 20));
}

TEST_F(ProcessMetrics, OpenFdsCountsDescriptorsAndMaxFdsIsTheSoftLimit) {
  const double before = value("process_open_fds", "gauge");
  EXPECT_GE(before, 3);
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const double with = value("process_open_fds", "gauge");
  for (int fd : fds) ::close(fd);
  EXPECT_GE(with, before + 20);
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(value("process_max_fds", "gauge"), static_cast<double>(limit.rlim_cur));
  EXPECT_LE(with, value("process_max_fds", "gauge"));
}

TEST_F(ProcessMetrics, CpuSecondsGrowWithCpuBurnt) {
  const double before = rusage_cpu_seconds();
  const double first = value("process_cpu_seconds_total", "counter");
  // Within the process's own accounting (stat counts in 10 ms clock ticks, rounded down).
  EXPECT_GE(first, before - 0.02);
  EXPECT_LE(first, rusage_cpu_seconds());
  // Burn 0.3 s of CPU.
  const double until = rusage_cpu_seconds() + 0.3;
  volatile double sink = 0;
  while (rusage_cpu_seconds() < until)
    for (int i = 0; i < 100000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
  const double second = value("process_cpu_seconds_total", "counter");
  EXPECT_GE(second - first, 0.28);
  EXPECT_LE(second, rusage_cpu_seconds());
}

TEST_F(ProcessMetrics, BuildInfoNamesThisVersion) {
  const auto families = parse_exposition(scrape_text());
  ASSERT_TRUE(families.count("roomtemp_build_info"));
  const Family& info = families.at("roomtemp_build_info");
  EXPECT_EQ(info.type, "gauge");
  ASSERT_EQ(info.samples.size(), 1u);
  const auto& [labels, v] = *info.samples.begin();
  EXPECT_EQ(labels, std::string("roomtemp_build_info{version=\"") + ROOMTEMP_VERSION + "\"}");
  EXPECT_TRUE(std::regex_match(std::string(ROOMTEMP_VERSION), std::regex(R"(\d+\.\d+\.\d+)")));
  EXPECT_EQ(v, 1);
}

TEST(ProcStat, FieldsCountFromTheLastParenthesis) {
  // A command name with spaces and parentheses; utime 250 + stime 50 ticks, starttime 1234,
  // vsize 5000000, rss 300 pages.
  const std::string line =
      "4242 (a b) (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1234 5000000 "
      "300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto st = parse_proc_stat(line, 100, 4096);
  ASSERT_TRUE(st);
  EXPECT_DOUBLE_EQ(st->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(st->started_after_boot, 12.34);
  EXPECT_EQ(st->virtual_bytes, 5000000u);
  EXPECT_EQ(st->resident_bytes, 300u * 4096);
  EXPECT_FALSE(parse_proc_stat("4242 (cut short) S 1 2 3", 100, 4096));
  EXPECT_FALSE(parse_proc_stat("no parenthesis at all", 100, 4096));
  std::string bad_utime = line;
  bad_utime.replace(bad_utime.find(" 250 "), 5, " 2x0 ");
  EXPECT_FALSE(parse_proc_stat(bad_utime, 100, 4096));
}

// Prometheus's own linter, when installed (Debian: prometheus).
TEST_F(ProcessMetrics, PassesPromtoolCheckMetrics) {
  const std::string promtool = test_programs::find_on_path("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed; the parser above checked it";
  const auto file = std::filesystem::path(::testing::TempDir()) /
                    ("roomtemp-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << scrape_text();
  const auto run =
      test_programs::run_command("'" + promtool + "' check metrics < '" + file.string() + "'");
  std::filesystem::remove(file);
  EXPECT_EQ(run.status, 0) << run.output;
}

}  // namespace
}  // namespace roomtemp

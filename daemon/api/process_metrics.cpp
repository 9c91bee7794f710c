// The process_* metrics every Prometheus client library exports (names, types and units as
// theirs, so stock dashboards and alerts work), read from /proc/self at each scrape, and
// roomtemp_build_info. Only the pid's own /proc entries are read: the unit's ProcSubset=pid
// hides /proc/stat, so the start time comes from the boot-time clock instead of its btime.
#include "process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "version.h"

namespace roomtemp {

std::optional<ProcStat> parse_proc_stat(std::string_view text, long ticks_per_second,
                                        long page_size) {
  // "pid (comm) state ppid …": comm is whatever the process named itself, so the fields start
  // after its last ')'. Field 3 (state) is fields[0] below.
  const auto close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0)
    return std::nullopt;
  std::vector<std::string_view> fields;
  for (std::size_t i = close + 1; i < text.size();) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    std::size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    if (end > i) fields.push_back(text.substr(i, end - i));
    i = end;
  }
  // proc(5) numbers them from 1: utime 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](int number, std::uint64_t& out) {
    const std::size_t at = static_cast<std::size_t>(number - 3);
    if (at >= fields.size()) return false;
    const std::string_view f = fields[at];
    auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
    return ec == std::errc{} && ptr == f.data() + f.size();
  };
  std::uint64_t utime, stime, starttime, vsize, rss;
  if (!field(14, utime) || !field(15, stime) || !field(22, starttime) || !field(23, vsize) ||
      !field(24, rss))
    return std::nullopt;
  const auto ticks = static_cast<double>(ticks_per_second);
  ProcStat st;
  st.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  st.virtual_bytes = vsize;
  st.resident_bytes = rss * static_cast<std::uint64_t>(page_size);
  st.started_after_boot = static_cast<double>(starttime) / ticks;
  return st;
}

namespace {

std::optional<ProcStat> read_proc_stat() {
  std::ifstream in("/proc/self/stat");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in && !in.eof()) return std::nullopt;
  return parse_proc_stat(text, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE));
}

double seconds_of(const timespec& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Wall-clock seconds since the epoch when the process started: now, less the time since then
/// by the boot-time clock that /proc's starttime counts in. Worked out once, so that it does
/// not jitter from scrape to scrape.
std::optional<double> start_time_seconds(const ProcStat& st) {
  static const std::optional<double> start = [&]() -> std::optional<double> {
    timespec boot{}, real{};
    if (::clock_gettime(CLOCK_BOOTTIME, &boot) != 0 || ::clock_gettime(CLOCK_REALTIME, &real) != 0)
      return std::nullopt;
    const double at = seconds_of(real) - (seconds_of(boot) - st.started_after_boot);
    return std::round(at * 100) / 100;  // starttime has clock-tick (10 ms) resolution
  }();
  return start;
}

/// Entries of /proc/self/fd, the directory's own descriptor included (as client libraries
/// count it).
std::optional<std::uint64_t> open_fds() {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/fd"), ::closedir);
  if (!dir) return std::nullopt;
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(dir.get()))
    if (e->d_name[0] != '.') ++n;
  return n;
}

/// The soft RLIMIT_NOFILE: what open() runs into.
std::optional<double> max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return limit.rlim_cur == RLIM_INFINITY ? HUGE_VAL : static_cast<double>(limit.rlim_cur);
}

/// A sample value as Prometheus reads it: the shortest text that parses back to `v`.
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, ptr) : "NaN";
}

void family(std::string& out, const char* name, const char* type, const char* help,
            std::optional<double> value) {
  if (!value) return;
  out += std::string("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' +
         name + ' ' + number(*value) + '\n';
}

}  // namespace

void render_process_metrics(std::string& out) {
  const std::optional<ProcStat> st = read_proc_stat();
  auto from_stat = [&](auto member) -> std::optional<double> {
    if (!st) return std::nullopt;
    return static_cast<double>((*st).*member);
  };
  family(out, "process_cpu_seconds_total", "counter",
         "Total user and system CPU time spent in seconds.", from_stat(&ProcStat::cpu_seconds));
  family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         from_stat(&ProcStat::resident_bytes));
  family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
         from_stat(&ProcStat::virtual_bytes));
  family(out, "process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.",
         st ? start_time_seconds(*st) : std::nullopt);
  const auto fds = open_fds();
  family(out, "process_open_fds", "gauge", "Number of open file descriptors.",
         fds ? std::optional<double>(static_cast<double>(*fds)) : std::nullopt);
  family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", max_fds());
  out +=
      "# HELP roomtemp_build_info The roomtempd version running (always 1).\n"
      "# TYPE roomtemp_build_info gauge\n"
      "roomtemp_build_info{version=\"" ROOMTEMP_VERSION "\"} 1\n";
}

}  // namespace roomtemp

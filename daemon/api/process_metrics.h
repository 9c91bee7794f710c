#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomtemp {

/// What /proc/self/stat tells about this process, in the units of the process_* metrics that
/// Prometheus client libraries export.
struct ProcStat {
  double cpu_seconds = 0;            ///< user + system time (utime + stime)
  std::uint64_t virtual_bytes = 0;   ///< vsize
  std::uint64_t resident_bytes = 0;  ///< rss pages × page size
  double started_after_boot = 0;     ///< starttime, seconds after the system booted
};

/// Parses the text of /proc/<pid>/stat (the command name may hold spaces and parentheses);
/// `ticks_per_second` is sysconf(_SC_CLK_TCK). nullopt when the text is not such a line.
std::optional<ProcStat> parse_proc_stat(std::string_view text, long ticks_per_second,
                                        long page_size);

/// Appends process_cpu_seconds_total, process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds and
/// process_max_fds (read at each call; a figure that cannot be read is left out, as the
/// client libraries do), then roomtemp_build_info{version}: HELP and TYPE lines for each.
void render_process_metrics(std::string& out);

}  // namespace roomtemp

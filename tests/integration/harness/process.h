#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace roomtemp::harness {

/// How to start a child process.
struct ProcessSpec {
  std::vector<std::string> argv{};  ///< argv[0]: an absolute path (see find_program)
  std::string output_file{};        ///< stdout and stderr are appended here; "" → /dev/null
  std::string cwd{};                ///< "" → inherit
  std::optional<uid_t> uid{};       ///< drop to this user before exec (needs root)
  std::optional<gid_t> gid{};
  std::vector<std::pair<std::string, std::string>> env{};  ///< set on top of ours
};

/// A child process in its own process group. The destructor SIGKILLs the group and reaps it,
/// so nothing outlives a failed test; PR_SET_PDEATHSIG kills the child too if this process
/// dies without unwinding (so start children from a thread that lives as long as they do).
class Process {
 public:
  Process() = default;
  explicit Process(ProcessSpec spec);  ///< starts it
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Starts (again) with the spec given last; throws std::runtime_error if exec fails.
  void start();
  void start(ProcessSpec spec);
  /// True while started and not yet exited (reaps it when it has exited).
  bool running();
  pid_t pid() const { return pid_; }
  /// Sends `sig` to the process itself (not its group).
  void signal(int sig) const;
  /// SIGSTOP, then waits until every thread has stopped; false when one still runs after
  /// `timeout`. kill() returns before they have: until the thread the kernel chose has run and
  /// stopped the others, a thread woken by its socket can still run and write (SIGCONT resumes).
  bool freeze(std::chrono::milliseconds timeout) const;
  /// Waits until it exits; its exit code (128+N when killed by signal N), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// SIGKILL to the whole group, then reap. No-op when not running.
  void kill();
  /// The exit code of the last run, once it has exited.
  std::optional<int> exit_code() const { return exit_code_; }
  const ProcessSpec& spec() const { return spec_; }

 private:
  bool reap(bool block);

  ProcessSpec spec_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

/// What `run` returns.
struct RunResult {
  int exit_code = -1;  ///< -1: killed at the timeout
  std::string output;  ///< stdout and stderr together
};

/// Runs a program to completion, killing it after `timeout`.
RunResult run(ProcessSpec spec, std::chrono::milliseconds timeout);

/// The absolute path of `name` on PATH or in one of `extra_dirs`, or nullopt.
std::optional<std::string> find_program(const std::string& name,
                                        const std::vector<std::string>& extra_dirs = {});

/// Prints why and exits 77, which ctest reports as skipped (SKIP_RETURN_CODE). Kills every
/// live Process and removes every TempDir first, since std::exit does not unwind the stack.
[[noreturn]] void skip(const std::string& why);

/// True when the current test (or, outside a test, any test so far) has failed: the
/// harness then prints the logs of the servers it tears down.
bool test_failed();

/// Prints the last `max_lines` lines of `text` to stderr under a heading.
void print_tail(const std::string& heading, const std::string& text, std::size_t max_lines);

}  // namespace roomtemp::harness

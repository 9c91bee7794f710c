#include "harness/process.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "harness/cleanup.h"
#include "harness/temp_dir.h"
#include "harness/wait.h"

extern char** environ;

namespace roomtemp::harness {

// ---- cleanup registry -------------------------------------------------------------------

namespace {
struct Registry {
  std::mutex mu;
  std::map<const void*, std::pair<CleanupOrder, std::function<void()>>> entries;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: used from destructors at exit
  return *r;
}
}  // namespace

void register_cleanup(const void* key, CleanupOrder order, std::function<void()> undo) {
  std::lock_guard lock(registry().mu);
  registry().entries[key] = {order, std::move(undo)};
}

void unregister_cleanup(const void* key) {
  std::lock_guard lock(registry().mu);
  registry().entries.erase(key);
}

void run_all_cleanups() {
  std::vector<std::pair<CleanupOrder, std::function<void()>>> todo;
  {
    std::lock_guard lock(registry().mu);
    for (auto& [key, e] : registry().entries) todo.push_back(std::move(e));
    registry().entries.clear();
  }
  for (auto order : {CleanupOrder::process, CleanupOrder::directory})
    for (auto& [o, undo] : todo)
      if (o == order) undo();
}

void skip(const std::string& why) {
  std::cerr << "SKIPPED: " << why << "\n" << std::flush;
  std::cout << std::flush;
  run_all_cleanups();
  std::exit(77);
}

bool test_failed() {
  if (::testing::UnitTest::GetInstance()->current_test_info() != nullptr)
    return ::testing::Test::HasFailure();
  return ::testing::UnitTest::GetInstance()->failed_test_count() > 0;
}

void print_tail(const std::string& heading, const std::string& text, std::size_t max_lines) {
  std::size_t pos = text.size();
  std::size_t lines = 0;
  while (pos > 0 && lines <= max_lines) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
    ++lines;
  }
  std::string tail = text.substr(pos == 0 ? 0 : pos + 1);
  std::cerr << "----- " << heading << " (last " << max_lines << " lines) -----\n"
            << tail << (tail.empty() || tail.back() != '\n' ? "\n" : "") << "----- end of "
            << heading << " -----\n"
            << std::flush;
}

// ---- Process ------------------------------------------------------------------------------

Process::Process(ProcessSpec spec) { start(std::move(spec)); }

Process::~Process() { kill(); }

void Process::start(ProcessSpec spec) {
  spec_ = std::move(spec);
  start();
}

void Process::start() {
  if (pid_ > 0 && running()) throw std::logic_error("Process::start: already running");
  if (spec_.argv.empty()) throw std::logic_error("Process::start: empty argv");

  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> argv;
  for (auto& a : spec_.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string s(*e);
    bool overridden = false;
    for (auto& [k, v] : spec_.env) overridden |= s.compare(0, k.size() + 1, k + "=") == 0;
    if (!overridden) env_strings.push_back(std::move(s));
  }
  for (auto& [k, v] : spec_.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* out = spec_.output_file.empty() ? "/dev/null" : spec_.output_file.c_str();
  const char* cwd = spec_.cwd.empty() ? nullptr : spec_.cwd.c_str();
  const pid_t parent = getpid();

  int report[2];  // the child writes errno here if exec fails; CLOEXEC closes it on success
  if (pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");

  const pid_t pid = fork();
  if (pid < 0) {
    close(report[0]);
    close(report[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    auto die = [&](int err) {
      (void)!write(report[1], &err, sizeof err);
      _exit(127);
    };
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) ::signal(s, SIG_DFL);
    int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) die(errno);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) die(errno);
    if (spec_.gid && (setgroups(0, nullptr) != 0 || setgid(*spec_.gid) != 0)) die(errno);
    if (spec_.uid && setuid(*spec_.uid) != 0) die(errno);
    // After the credential change, which clears it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    if (cwd && chdir(cwd) != 0) die(errno);
    execve(argv[0], argv.data(), envp.data());
    die(errno);
  }
  close(report[1]);
  int err = 0;
  ssize_t n;
  do n = read(report[0], &err, sizeof err);
  while (n < 0 && errno == EINTR);
  close(report[0]);
  pid_ = pid;
  exit_code_.reset();
  if (n == static_cast<ssize_t>(sizeof err)) {
    reap(true);
    throw std::runtime_error("cannot run " + spec_.argv[0] + ": " + std::strerror(err));
  }
  register_cleanup(this, CleanupOrder::process, [this] { kill(); });
}

bool Process::reap(bool block) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r;
  do r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // Children left in the group (a server's workers) go with it.
  ::kill(-pid_, SIGKILL);
  pid_ = -1;
  unregister_cleanup(this);
  return true;
}

bool Process::running() { return pid_ > 0 && !reap(false); }

void Process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool Process::freeze(std::chrono::milliseconds timeout) const {
  if (pid_ <= 0 || ::kill(pid_, SIGSTOP) != 0) return false;
  // /proc/PID/task/TID/stat is "TID (COMM) STATE ...": T is stopped by a signal.
  const auto all_stopped = [&] {
    std::error_code error;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid_) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
      const std::string stat = read_file(task.path() / "stat");
      const auto close = stat.rfind(')');
      if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'T')
        return false;
    }
    return !error;
  };
  return wait_until(all_stopped, timeout, std::chrono::milliseconds(1));
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

void Process::kill() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  reap(true);
}

// ---- helpers ------------------------------------------------------------------------------

RunResult run(ProcessSpec spec, std::chrono::milliseconds timeout) {
  std::optional<TempDir> tmp;
  if (spec.output_file.empty()) {
    tmp.emplace("roomtemp-run");
    spec.output_file = tmp->file("output");
  }
  const std::string out = spec.output_file;
  Process p(std::move(spec));
  RunResult r;
  if (auto code = p.wait_exit(timeout))
    r.exit_code = *code;
  else
    p.kill();
  r.output = read_file(out);
  return r;
}

std::optional<std::string> find_program(const std::string& name,
                                        const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream s(path);
    std::string d;
    while (std::getline(s, d, ':'))
      if (!d.empty()) dirs.push_back(d);
  }
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  for (const auto& d : dirs) {
    std::string candidate = d + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate))
      return candidate;
  }
  return std::nullopt;
}

}  // namespace roomtemp::harness

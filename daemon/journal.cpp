#include "journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "log.h"
#include "spool.h"

namespace roomtemp {
namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kSegmentBytes = 8u << 20;

std::string journal_name(std::uint64_t seq) {
  char name[40];
  std::snprintf(name, sizeof name, "j-%016llu.log", static_cast<unsigned long long>(seq));
  return name;
}
}  // namespace

Journal::Journal(std::string dir, Metrics& metrics) : dir_(std::move(dir)), metrics_(metrics) {}

Journal::~Journal() { close_fd(); }

std::size_t Journal::recover_into_spool(const std::string& journal_dir,
                                        const std::string& spool_dir) {
  std::error_code ec;
  if (!fs::exists(journal_dir, ec)) return 0;
  std::vector<std::pair<std::uint64_t, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(journal_dir)) {
    unsigned long long seq;
    if (std::sscanf(entry.path().filename().c_str(), "j-%16llu.log", &seq) == 1)
      found.emplace_back(seq, entry.path());
  }
  std::sort(found.begin(), found.end());
  fs::create_directories(spool_dir);
  std::uint64_t next = last_spool_segment(spool_dir) + 1;
  std::size_t moved = 0;
  for (const auto& [seq, path] : found) {
    if (fs::file_size(path) == 0) {
      fs::remove(path);
      continue;
    }
    fs::rename(path, fs::path(spool_dir) / spool_segment_name(next++));
    ++moved;
  }
  if (moved)
    component_log("journal")->warn(
        "recovered {} journal segment(s) from an unclean stop; they replay from the spool",
        moved);
  return moved;
}

void Journal::open() {
  fs::create_directories(dir_);
  next_seq_ = 1;
}

void Journal::close_fd() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void Journal::open_segment() {
  Segment seg{next_seq_++, (fs::path(dir_) / journal_name(next_seq_ - 1)).string()};
  fd_ = ::open(seg.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error("cannot create " + seg.path + ": " + std::strerror(errno));
  segments_.push_back(seg);
}

void Journal::append(const Inbound& item) {
  std::string record;
  append_record(record, item);
  std::lock_guard lock(mutex_);
  if (fd_ >= 0 && segments_.back().bytes >= kSegmentBytes) close_fd();
  if (fd_ < 0) open_segment();
  const char* p = record.data();
  std::size_t left = record.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("journal write " + segments_.back().path + ": " +
                               std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  segments_.back().records += 1;
  segments_.back().bytes += record.size();
  dirty_ = true;
}

void Journal::release(std::size_t n) {
  std::lock_guard lock(mutex_);
  while (n > 0 && !segments_.empty()) {
    Segment& front = segments_.front();
    const std::uint64_t take = std::min<std::uint64_t>(n, front.records - front.released);
    front.released += take;
    n -= take;
    const bool writing = segments_.size() == 1 && fd_ >= 0;
    if (front.released < front.records) break;
    if (writing) {
      // The segment being written is entirely safe elsewhere: start afresh if it grew large.
      if (front.bytes < (1u << 20)) break;
      close_fd();
    }
    std::error_code ec;
    fs::remove(front.path, ec);
    segments_.pop_front();
  }
}

void Journal::sync() {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0 && dirty_) {
    ::fdatasync(fd_);
    dirty_ = false;
  }
}

}  // namespace roomtemp

namespace roomtemp {

void Journal::close_clean() {
  std::lock_guard lock(mutex_);
  close_fd();
  std::error_code ec;
  while (!segments_.empty() && segments_.front().released >= segments_.front().records) {
    fs::remove(segments_.front().path, ec);
    segments_.pop_front();
  }
  if (!segments_.empty())
    component_log("journal")->warn("{} journal segment(s) keep unwritten records for the next start",
                                   segments_.size());
}

}  // namespace roomtemp

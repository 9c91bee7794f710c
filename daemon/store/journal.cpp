#include "journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <vector>

#include "log.h"
#include "spool.h"

namespace roomtemp {
namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kJournalSegmentBytes = 8u << 20;

std::string journal_name(std::uint64_t seq) { return numbered_file_name("j-", seq, ".log"); }

std::string released_name(std::uint64_t seq) { return numbered_file_name("released-", seq, ""); }

bool parse_journal_name(const std::string& name, std::uint64_t& seq) {
  return parse_numbered_file_name(name, "j-", ".log", seq);
}

/// Removes "released-*" counts and ".new" files (a crash between two removals leaves them):
/// when a run opens the journal, recovery has taken every segment they could belong to, and
/// the run's segments start again at number 1.
void remove_leftovers(const std::string& journal_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(journal_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("released-") || name.ends_with(".new")) fs::remove(entry.path(), ec);
  }
}

/// Writes bytes [from, end) of `source` to a new file `target`. Throws on failure.
void copy_tail(const fs::path& source, std::uint64_t from, const fs::path& target) {
  std::FILE* in = std::fopen(source.c_str(), "rb");
  if (!in) throw std::runtime_error("cannot read " + source.string() + ": " + std::strerror(errno));
  std::FILE* out = std::fopen(target.c_str(), "wb");
  if (!out) {
    std::fclose(in);
    throw std::runtime_error("cannot create " + target.string() + ": " + std::strerror(errno));
  }
  std::fseek(in, static_cast<long>(from), SEEK_SET);
  std::vector<char> buf(1 << 16);
  bool ok = true;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), in))
    ok = ok && std::fwrite(buf.data(), 1, n, out) == n;
  ok = ok && !std::ferror(in) && std::fflush(out) == 0 && ::fdatasync(fileno(out)) == 0;
  std::fclose(in);
  ok = std::fclose(out) == 0 && ok;
  if (!ok)
    throw std::runtime_error("cannot write " + target.string() + ": " + std::strerror(errno));
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
    std::uint64_t seq;
    if (parse_journal_name(entry.path().filename().string(), seq))
      found.emplace_back(seq, entry.path());
  }
  std::sort(found.begin(), found.end());
  fs::create_directories(spool_dir);
  // The segments made here must not inherit a read position the spool saved for an old one.
  forget_stale_read_position(spool_dir);
  std::uint64_t next = last_spool_segment(spool_dir) + 1;
  std::size_t moved = 0;
  for (const auto& [seq, path] : found) {
    // The records the writer had already committed or spooled are left out: a rejection
    // written twice would be stored twice (readings are stored once all the same).
    const fs::path released_file = fs::path(journal_dir) / released_name(seq);
    const std::uint64_t size = fs::file_size(path);
    const std::vector<std::uint64_t> count = read_numbers_file(released_file.string());
    const std::uint64_t released = count.size() == 1 ? std::min(count[0], size) : 0;
    const fs::path target = fs::path(spool_dir) / spool_segment_name(next);
    if (released == size) {
      // Nothing left to write.
    } else if (released > 0) {
      // Whole or not at all: a crash part way leaves only the .new file, which nothing reads.
      const fs::path partial = target.string() + ".new";
      copy_tail(path, released, partial);
      fs::rename(partial, target);
      ++next, ++moved;
    } else {
      fs::rename(path, target);
      ++next, ++moved;
    }
    // The segment before its count: a count left alone is cleared when the journal opens,
    // whereas a segment left without its count would only be written again in full.
    fs::remove(path, ec);
    fs::remove(released_file, ec);
  }
  if (moved)
    component_log("journal")->warn(
        "recovered {} journal segment(s) from an unclean stop; they replay from the spool", moved);
  return moved;
}

void Journal::open() {
  fs::create_directories(dir_);
  remove_leftovers(dir_);
  next_seq_ = 1;
}

void Journal::close_fd() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void Journal::open_segment() {
  Segment seg;
  seg.seq = next_seq_++;
  seg.path = (fs::path(dir_) / journal_name(seg.seq)).string();
  fd_ = ::open(seg.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error("cannot create " + seg.path + ": " + std::strerror(errno));
  segments_.push_back(seg);
}

void Journal::append(const Inbound& item) {
  std::string record;
  append_record(record, item);
  std::lock_guard lock(mutex_);
  if (fd_ >= 0 && segments_.back().bytes >= kJournalSegmentBytes) close_fd();
  if (fd_ < 0) open_segment();
  const char* p = record.data();
  std::size_t left = record.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      // Cut off a part written before the failure, so the segment stays a run of whole
      // records and the released byte counts keep pointing at record boundaries.
      if (::ftruncate(fd_, static_cast<off_t>(segments_.back().bytes)) != 0) close_fd();
      throw std::runtime_error("journal write " + segments_.back().path + ": " + why);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  segments_.back().bytes += record.size();
  segments_.back().ends.push_back(segments_.back().bytes);
  dirty_ = true;
}

void Journal::release(std::size_t n) {
  // How much of which segment is now safe, noted on disk after the lock: the MQTT callbacks'
  // append() waits on it, and the note is the writer's own business (only it releases).
  std::optional<std::pair<std::uint64_t, std::uint64_t>> note;  // segment, bytes released
  {
    std::lock_guard lock(mutex_);
    while (n > 0 && !segments_.empty()) {
      Segment& front = segments_.front();
      const std::size_t take = std::min(n, front.ends.size());
      n -= take;
      if (take > 0) note = std::pair(front.seq, front.ends[take - 1]);
      front.ends.erase(front.ends.begin(), front.ends.begin() + static_cast<std::ptrdiff_t>(take));
      if (!front.ends.empty()) break;
      if (segments_.size() == 1 && fd_ >= 0) {
        // The segment being written is entirely safe elsewhere: start afresh if it grew large.
        if (front.bytes < (1u << 20)) break;
        close_fd();
      }
      // The count first: one left behind would be taken for the next run's segment of that
      // number.
      note.reset();
      std::error_code ec;
      fs::remove(fs::path(dir_) / released_name(front.seq), ec);
      fs::remove(front.path, ec);
      segments_.pop_front();
    }
  }
  if (note) save_released(note->first, note->second);
}

void Journal::save_released(std::uint64_t seq, std::uint64_t bytes) {
  // After a power loss an older count may be found: some records are then written again.
  write_numbers_file((fs::path(dir_) / released_name(seq)).string(), {bytes});
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
  while (!segments_.empty() && segments_.front().ends.empty()) {
    fs::remove(fs::path(dir_) / released_name(segments_.front().seq), ec);
    fs::remove(segments_.front().path, ec);
    segments_.pop_front();
  }
  if (!segments_.empty())
    component_log("journal")->warn(
        "{} journal segment(s) keep unwritten records for the next start", segments_.size());
}

}  // namespace roomtemp

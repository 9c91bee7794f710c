#include "spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "log.h"

namespace roomtemp {
namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kSpoolSegmentBytes = 16u << 20;
}  // namespace

std::string numbered_file_name(std::string_view prefix, std::uint64_t seq,
                               std::string_view suffix) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%016llu", static_cast<unsigned long long>(seq));
  return std::string(prefix) + digits + std::string(suffix);
}

bool parse_numbered_file_name(std::string_view name, std::string_view prefix,
                              std::string_view suffix, std::uint64_t& seq) {
  constexpr std::size_t kDigits = 16;
  if (name.size() != prefix.size() + kDigits + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix))
    return false;
  const char* first = name.data() + prefix.size();
  const char* last = first + kDigits;
  if (!std::all_of(first, last, [](char c) { return c >= '0' && c <= '9'; })) return false;
  return std::from_chars(first, last, seq).ec == std::errc();
}

std::string spool_segment_name(std::uint64_t seq) {
  return numbered_file_name("seg-", seq, ".spool");
}

bool parse_spool_segment_name(const std::string& name, std::uint64_t& seq) {
  return parse_numbered_file_name(name, "seg-", ".spool", seq);
}

std::uint64_t last_spool_segment(const std::string& dir) {
  std::uint64_t last = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::uint64_t seq;
    if (parse_spool_segment_name(entry.path().filename().string(), seq))
      last = std::max<std::uint64_t>(last, seq);
  }
  return last;
}

std::vector<std::uint64_t> read_numbers_file(const std::string& path) {
  std::vector<std::uint64_t> out;
  if (std::FILE* f = std::fopen(path.c_str(), "r")) {
    unsigned long long n;
    while (std::fscanf(f, "%llu", &n) == 1) out.push_back(n);
    std::fclose(f);
  }
  return out;
}

void write_numbers_file(const std::string& path, std::initializer_list<std::uint64_t> numbers) {
  std::string text;
  for (auto n : numbers) text += (text.empty() ? "" : " ") + std::to_string(n);
  text += '\n';
  const std::string tmp = path + ".new";
  if (std::FILE* f = std::fopen(tmp.c_str(), "w")) {
    const bool ok = std::fputs(text.c_str(), f) >= 0;
    std::error_code ec;
    if (std::fclose(f) == 0 && ok) fs::rename(tmp, path, ec);
  }
}

namespace {
constexpr const char* kPositionFile = "read-position";

/// The "SEQ OFFSET" an earlier run left in read-position; false when there is none.
bool read_position(const std::string& dir, std::uint64_t& seq, std::uint64_t& offset) {
  std::vector<std::uint64_t> n = read_numbers_file((fs::path(dir) / kPositionFile).string());
  if (n.size() != 2) return false;
  seq = n[0], offset = n[1];
  return true;
}
}  // namespace

void forget_stale_read_position(const std::string& dir) {
  std::uint64_t seq = 0, offset = 0;
  std::error_code ec;
  if (read_position(dir, seq, offset) && fs::exists(fs::path(dir) / spool_segment_name(seq), ec))
    return;
  fs::remove(fs::path(dir) / kPositionFile, ec);
  fs::remove(fs::path(dir) / (std::string(kPositionFile) + ".new"), ec);
}

Spool::Spool(std::string dir, std::uint64_t max_bytes, Metrics& metrics)
    : dir_(std::move(dir)), max_bytes_(max_bytes), metrics_(metrics) {}

Spool::~Spool() { close_writer(); }

std::string Spool::segment_path(std::uint64_t seq) const {
  return (fs::path(dir_) / spool_segment_name(seq)).string();
}

void Spool::check_writable() {
  const std::string probe = (fs::path(dir_) / ".write-check").string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  int error = errno;
  if (ok) {
    ok = ::write(fd, "x", 1) == 1 && ::fdatasync(fd) == 0;
    if (!ok) error = errno;
    ::close(fd);
    ::unlink(probe.c_str());
  }
  metrics_.spool_writable.store(ok ? 1 : 0, std::memory_order_relaxed);
  if (!ok)
    throw std::runtime_error("spool.dir " + dir_ + " cannot be written (" + std::strerror(error) +
                             ")");
}

void Spool::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    throw std::runtime_error("spool.dir " + dir_ + " cannot be created (" + ec.message() + ")");
  check_writable();
  std::vector<Segment> found;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    std::uint64_t seq;
    if (!parse_spool_segment_name(entry.path().filename().string(), seq)) continue;
    found.push_back({seq, entry.path().string(), entry.file_size()});
  }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
  segments_.assign(found.begin(), found.end());
  bytes_ = 0;
  for (const auto& s : segments_) bytes_ += s.size;
  next_seq_ = segments_.empty() ? 1 : segments_.back().seq + 1;
  recovered_until_ = next_seq_ - 1;
  read_offset_ = pending_offset_ = 0;
  update_gauge();
  if (!segments_.empty())
    component_log("spool")->info("found {} segment(s), {} bytes, from an earlier run in {}",
                                 segments_.size(), bytes_, dir_);
  // Where an earlier run stopped writing the front segment: "SEQ OFFSET". A missing or
  // unreadable file means from the start (its records may then be written twice: readings
  // are stored once all the same, rejections twice).
  std::uint64_t seq = 0, offset = 0;
  if (read_position(dir_, seq, offset) && !segments_.empty() && segments_.front().seq == seq &&
      offset <= segments_.front().size) {
    read_offset_ = pending_offset_ = offset;
    component_log("spool")->info("{} was written up to byte {} before; going on from there",
                                 segments_.front().path, offset);
  } else {
    forget_stale_read_position(dir_);
  }
}

void Spool::save_position() {
  const fs::path path = fs::path(dir_) / kPositionFile;
  std::error_code ec;
  if (segments_.empty() || read_offset_ == 0) {
    fs::remove(path, ec);
    return;
  }
  // After a power loss it may be lost, and then the segment's start is written again.
  write_numbers_file(path.string(), {segments_.front().seq, read_offset_});
}

void Spool::close_writer() {
  if (writer_) {
    std::fclose(writer_);
    writer_ = nullptr;
  }
}

void Spool::update_gauge() { metrics_.spool_bytes.store(bytes_, std::memory_order_relaxed); }

void Spool::append(const std::vector<Inbound>& batch) {
  if (batch.empty()) return;
  if (writer_ && segments_.back().size >= kSpoolSegmentBytes) close_writer();
  if (!writer_) {
    Segment seg{next_seq_++, "", 0};
    seg.path = segment_path(seg.seq);
    writer_ = std::fopen(seg.path.c_str(), "ab");
    if (!writer_) {
      metrics_.spool_writable.store(0, std::memory_order_relaxed);
      --next_seq_;
      throw std::runtime_error("cannot create " + seg.path + ": " + std::strerror(errno));
    }
    segments_.push_back(seg);
  }
  std::string buf;
  for (const auto& item : batch) append_record(buf, item);
  if (std::fwrite(buf.data(), 1, buf.size(), writer_) != buf.size() || std::fflush(writer_) != 0 ||
      ::fdatasync(fileno(writer_)) != 0) {
    const std::string why = std::strerror(errno);
    // Whatever part of the batch reached the file goes again: the caller retries the whole
    // batch, and a torn record left in between would end the segment for the reader there,
    // with everything written behind it.
    close_writer();
    const Segment back = segments_.back();
    std::error_code ec;
    if (back.size == 0) {
      fs::remove(back.path, ec);
      segments_.pop_back();
    } else if (::truncate(back.path.c_str(), static_cast<off_t>(back.size)) != 0) {
      component_log("spool")->error("cannot cut {} back to {} bytes: {}", back.path, back.size,
                                    std::strerror(errno));
    }
    metrics_.spool_writable.store(0, std::memory_order_relaxed);
    throw std::runtime_error("cannot write " + back.path + ": " + why);
  }
  metrics_.spool_writable.store(1, std::memory_order_relaxed);
  segments_.back().size += buf.size();
  bytes_ += buf.size();
  metrics_.readings_spooled.fetch_add(batch.size(), std::memory_order_relaxed);
  update_gauge();
}

bool Spool::front_is_recovered() const {
  return !segments_.empty() && segments_.front().seq <= recovered_until_;
}

std::vector<Inbound> Spool::peek(std::size_t max) {
  std::vector<Inbound> out;
  pending_end_ = false;
  pending_ends_.clear();
  if (segments_.empty()) return out;
  // Never read the segment that is still being appended to: close it; appends start a new one.
  if (writer_ && segments_.size() == 1) close_writer();
  const Segment& seg = segments_.front();
  std::FILE* f = std::fopen(seg.path.c_str(), "rb");
  if (!f) {
    component_log("spool")->error("cannot read {}: {}; skipping it", seg.path,
                                  std::strerror(errno));
    pending_offset_ = read_offset_;
    pending_end_ = true;
    return out;
  }
  std::fseek(f, static_cast<long>(read_offset_), SEEK_SET);
  std::uint64_t offset = read_offset_;
  while (out.size() < max) {
    std::uint32_t header[2];
    std::size_t got = std::fread(header, 1, sizeof header, f);
    if (got == 0) {
      pending_end_ = true;
      break;
    }
    std::string why;
    std::string body;
    if (got < sizeof header) {
      why = "torn record header";
    } else if (header[0] == 0 || header[0] > kMaxRecordBytes) {
      why = "implausible record length " + std::to_string(header[0]);
    } else {
      body.resize(header[0]);
      if (std::fread(body.data(), 1, body.size(), f) != body.size())
        why = "torn record body";
      else if (record_checksum(body) != header[1])
        why = "checksum mismatch";
    }
    std::optional<Inbound> item;
    if (why.empty() && !(item = decode_inbound(body))) why = "undecodable record";
    if (!why.empty()) {
      const std::uint64_t lost = seg.size > offset ? seg.size - offset : 0;
      component_log("spool")->error(
          "{}: {} at offset {}; replaying the {} good bytes before it, skipping the last {}",
          seg.path, why, offset, offset, lost);
      metrics_.spool_corrupt_records.fetch_add(1, std::memory_order_relaxed);
      pending_end_ = true;
      break;
    }
    offset += sizeof header + body.size();
    out.push_back(std::move(*item));
    pending_ends_.push_back(offset);
  }
  std::fclose(f);
  pending_offset_ = offset;
  return out;
}

void Spool::consume() {
  if (segments_.empty()) return;
  read_offset_ = pending_offset_;
  if (pending_end_) {
    const Segment seg = segments_.front();
    // The position goes first: one left naming a segment number that comes back later (a new
    // outage starts again at seg-1) would skip the start of that new segment.
    std::error_code ec;
    fs::remove(fs::path(dir_) / kPositionFile, ec);
    fs::remove(seg.path, ec);
    bytes_ -= std::min(bytes_, seg.size);
    segments_.pop_front();
    read_offset_ = pending_offset_ = 0;
    pending_end_ = false;
    pending_ends_.clear();
    if (segments_.empty()) bytes_ = 0;
  }
  save_position();
  update_gauge();
}

void Spool::consume(std::size_t n) {
  if (n >= pending_ends_.size()) {
    consume();
    return;
  }
  if (segments_.empty() || n == 0) return;
  read_offset_ = pending_offset_ = pending_ends_[n - 1];
  pending_end_ = false;
  pending_ends_.clear();
  save_position();
}

}  // namespace roomtemp

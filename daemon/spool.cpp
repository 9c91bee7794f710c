#include "spool.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "log.h"

namespace roomtemp {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kSegmentBytes = 16u << 20;
constexpr std::uint32_t kMaxRecord = 1u << 20;

template <typename T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // little-endian hosts only (x86_64, arm64)
  out.append(buf, sizeof(T));
}

void put_str(std::string& out, const std::string& s) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

class Cursor {
 public:
  explicit Cursor(const std::string& s) : s_(s) {}
  template <typename T>
  bool get(T& v) {
    if (pos_ + sizeof(T) > s_.size()) return false;
    std::memcpy(&v, s_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_str(std::string& v) {
    std::uint32_t n;
    if (!get(n) || pos_ + n > s_.size()) return false;
    v.assign(s_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == s_.size(); }

 private:
  const std::string& s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_inbound(const Inbound& item) {
  std::string out;
  if (const auto* r = std::get_if<Reading>(&item)) {
    put<std::uint8_t>(out, 1);
    put<std::int64_t>(out, r->ts);
    put<std::int64_t>(out, r->received_at);
    put<double>(out, r->value);
    put_str(out, r->building);
    put_str(out, r->room);
    put_str(out, r->metric);
    put<std::uint8_t>(out, r->sensor_id ? 1 : 0);
    if (r->sensor_id) put_str(out, *r->sensor_id);
  } else {
    const auto& j = std::get<Rejection>(item);
    put<std::uint8_t>(out, 2);
    put<std::int64_t>(out, j.received_at);
    put<std::uint8_t>(out, static_cast<std::uint8_t>(j.reason));
    put_str(out, j.topic);
    put_str(out, j.payload);
    put_str(out, j.detail);
  }
  return out;
}

bool decode_inbound(const std::string& body, Inbound& out) {
  Cursor c(body);
  std::uint8_t type;
  if (!c.get(type)) return false;
  if (type == 1) {
    Reading r;
    std::uint8_t has_sensor;
    if (!c.get(r.ts) || !c.get(r.received_at) || !c.get(r.value) || !c.get_str(r.building) ||
        !c.get_str(r.room) || !c.get_str(r.metric) || !c.get(has_sensor))
      return false;
    if (has_sensor) {
      std::string s;
      if (!c.get_str(s)) return false;
      r.sensor_id = std::move(s);
    }
    if (!c.done()) return false;
    out = std::move(r);
    return true;
  }
  if (type == 2) {
    Rejection j;
    std::uint8_t reason;
    if (!c.get(j.received_at) || !c.get(reason) || reason >= kRejectReasonCount ||
        !c.get_str(j.topic) || !c.get_str(j.payload) || !c.get_str(j.detail) || !c.done())
      return false;
    j.reason = static_cast<RejectReason>(reason);
    out = std::move(j);
    return true;
  }
  return false;
}

void append_record(std::string& out, const Inbound& item) {
  std::string body = encode_inbound(item);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(body.size()));
  put<std::uint32_t>(out, static_cast<std::uint32_t>(
                              crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
  out += body;
}

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
  if (writer_ && segments_.back().size >= kSegmentBytes) close_writer();
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
    component_log("spool")->error("cannot read {}: {}; skipping it", seg.path, std::strerror(errno));
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
    } else if (header[0] == 0 || header[0] > kMaxRecord) {
      why = "implausible record length " + std::to_string(header[0]);
    } else {
      body.resize(header[0]);
      if (std::fread(body.data(), 1, body.size(), f) != body.size())
        why = "torn record body";
      else if (crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size()) != header[1])
        why = "checksum mismatch";
    }
    Inbound item;
    if (why.empty() && !decode_inbound(body, item)) why = "undecodable record";
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
    out.push_back(std::move(item));
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

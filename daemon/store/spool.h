#pragma once
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "metrics.h"
#include "reading.h"
#include "record.h"

namespace roomtemp {

/// Readings waiting on disk while PostgreSQL is unreachable: append-only segment files
/// `seg-NNNNNNNNNNNNNNNN.spool` in `dir`, read back oldest first. Each record is
/// `u32 length | u32 crc32 | body`, little-endian. A torn or corrupt record ends its segment:
/// what precedes it is replayed, the damage is logged and counted.
/// Used by the writer thread only; not thread-safe.
class Spool {
 public:
  Spool(std::string dir, std::uint64_t max_bytes, Metrics& metrics);
  ~Spool();

  /// Creates the directory, checks that it can be written (check_writable) and finds
  /// segments left by an earlier run. Throws std::runtime_error naming the directory.
  void open();

  /// Creates, syncs and removes a small file in the directory: what a segment needs. Throws
  /// std::runtime_error saying why not; keeps roomtemp_spool_writable up to date either way.
  void check_writable();

  bool empty() const { return segments_.empty(); }
  /// True when appending would go past max_bytes (the writer then stops taking input).
  bool full() const { return bytes_ >= max_bytes_.load(); }
  std::uint64_t bytes() const { return bytes_; }

  /// Appends a batch and flushes it to disk (fdatasync). Throws std::runtime_error on I/O error.
  void append(const std::vector<Inbound>& batch);

  /// Reads up to `max` records from the oldest segment, without consuming them.
  std::vector<Inbound> peek(std::size_t max);
  /// Marks what the last peek returned as written; removes finished segments.
  void consume();
  /// Marks only the first `n` records the last peek returned as written (all of them when
  /// `n` is at least as many); the rest come again from the next peek.
  void consume(std::size_t n);

  void set_max_bytes(std::uint64_t max_bytes) { max_bytes_ = max_bytes; }

  /// True when the oldest segment was left by an earlier run (or recovered from the journal):
  /// its readings never reached this process's live windows.
  bool front_is_recovered() const;

 private:
  struct Segment {
    std::uint64_t seq;
    std::string path;
    std::uint64_t size;
  };
  std::string segment_path(std::uint64_t seq) const;
  /// Records how far the front segment is written (read_offset_), so that a restart in the
  /// middle of a replay does not write its first part again.
  void save_position();
  void close_writer();
  void update_gauge();

  std::string dir_;
  std::atomic<std::uint64_t> max_bytes_;  ///< changed by reload from the main thread
  Metrics& metrics_;
  std::deque<Segment> segments_;  ///< oldest first; the back one may be open for writing
  std::FILE* writer_ = nullptr;
  std::uint64_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t recovered_until_ = 0;        ///< segments up to this seq were found at open()
  std::uint64_t read_offset_ = 0;            ///< in the front segment
  std::uint64_t pending_offset_ = 0;         ///< where the last peek stopped
  std::vector<std::uint64_t> pending_ends_;  ///< where each record of the last peek ends
  bool pending_end_ = false;  ///< the last peek reached the end (or damage) of the front
};

/// "seg-NNNNNNNNNNNNNNNN.spool"
std::string spool_segment_name(std::uint64_t seq);
/// PREFIX, `seq` in 16 digits, SUFFIX: how the spool and the journal name their files.
std::string numbered_file_name(std::string_view prefix, std::uint64_t seq, std::string_view suffix);
/// The number of a file named as numbered_file_name() would; false for any other name.
bool parse_numbered_file_name(std::string_view name, std::string_view prefix,
                              std::string_view suffix, std::uint64_t& seq);
/// The unsigned numbers a small text file holds (none when it is missing or unreadable).
std::vector<std::uint64_t> read_numbers_file(const std::string& path);
/// Replaces `path` with the numbers, whole: written beside and renamed over. No fsync — a
/// process crash keeps it, a power loss may leave the older file.
void write_numbers_file(const std::string& path, std::initializer_list<std::uint64_t> numbers);
/// Removes the spool's saved read position unless it names a segment that exists: before new
/// segments are made (journal recovery), so that one cannot inherit an old position.
void forget_stale_read_position(const std::string& dir);
/// The highest segment number in a spool directory (0 when none).
std::uint64_t last_spool_segment(const std::string& dir);
/// Parses "seg-NNNNNNNNNNNNNNNN.spool" (exactly that); false for any other name.
bool parse_spool_segment_name(const std::string& name, std::uint64_t& seq);

}  // namespace roomtemp

#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "input_journal.h"
#include "metrics.h"
#include "reading.h"

namespace roomtemp {

/// Journal mode (spool.journal: true): every accepted reading or rejection is appended here,
/// with a write(2), before its MQTT callback returns, so a crash of the process (SIGKILL)
/// loses nothing; fdatasync runs every spool.fsync_interval, bounding what power loss can
/// take. Records use the spool's format. Once the writer has committed (or spooled) the first
/// N records, release(N) lets finished segments go and notes how much of the current one is
/// done. At start, what segments left by a crash hold beyond that goes into the spool
/// directory, which replays it to PostgreSQL first.
class Journal final : public InputJournal {
 public:
  Journal(std::string dir, Metrics& metrics);
  ~Journal();

  /// Moves segments of an earlier run from `journal_dir` into `spool_dir` (after the spool's
  /// own segments, keeping order). Returns how many. Call before the spool is opened.
  static std::size_t recover_into_spool(const std::string& journal_dir,
                                        const std::string& spool_dir);

  /// Creates the directory. Throws std::runtime_error on failure.
  void open();
  /// Appends one record (thread-safe). Throws std::runtime_error when the write fails.
  void append(const Inbound& item) override;
  /// The first `n` records not yet released are safe elsewhere.
  void release(std::size_t n);
  /// fdatasync of the segment being written.
  void sync();
  /// Clean stop: closes the file and removes every segment whose records were all released.
  void close_clean();

 private:
  struct Segment {
    std::uint64_t seq;
    std::string path;
    std::uint64_t bytes = 0;
    std::deque<std::uint64_t> ends;  ///< where each record not yet released ends
  };
  /// Notes in "released-SEQ" how many bytes of segment `seq` are safe elsewhere, so that a
  /// recovery after a crash replays only the rest.
  void save_released(std::uint64_t seq, std::uint64_t bytes);
  void open_segment();
  void close_fd();

  std::string dir_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::deque<Segment> segments_;  ///< the back one is being written
  int fd_ = -1;
  std::uint64_t next_seq_ = 1;
  bool dirty_ = false;
};

}  // namespace roomtemp

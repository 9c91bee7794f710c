#pragma once
#include "reading.h"

namespace roomtemp {

/// Where journal mode (spool.journal: true) writes every accepted reading or rejection before
/// its MQTT callback returns, so that a crash loses nothing. Ingest appends through this;
/// store/journal.h is the one on disk.
class InputJournal {
 public:
  virtual ~InputJournal() = default;
  /// Appends one record (thread-safe). Throws std::runtime_error when the write fails.
  virtual void append(const Inbound& item) = 0;
};

}  // namespace roomtemp

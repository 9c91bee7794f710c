#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace roomtemp {

/// A set of 64-bit fingerprints in one flat array (open addressing, linear probing,
/// backward-shift deletion): 8 bytes per slot at most half full, one or two cache lines per
/// lookup, no allocation per entry. The dedupe identities of every reading within
/// averages.dedupe_horizon live here, so at thousands of readings per second it holds millions.
class FingerprintSet {
 public:
  /// True when `fp` was not in the set (it is now).
  bool insert(std::uint64_t fp);
  /// Removes `fp` if present.
  void erase(std::uint64_t fp);
  bool contains(std::uint64_t fp) const;
  std::size_t size() const { return size_ + (has_zero_ ? 1 : 0); }
  std::size_t capacity() const { return slots_.size(); }
  void clear();

 private:
  std::size_t home(std::uint64_t v) const { return static_cast<std::size_t>(v) & mask_; }
  void rehash(std::size_t capacity);

  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;   ///< slots in use
  bool has_zero_ = false;  ///< 0 marks a free slot, so the value 0 is kept here
};

}  // namespace roomtemp

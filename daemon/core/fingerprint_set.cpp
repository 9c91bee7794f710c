#include "fingerprint_set.h"

#include <utility>

namespace roomtemp {
namespace {
constexpr std::size_t kMinCapacity = 1024;
}

bool FingerprintSet::contains(std::uint64_t fp) const {
  if (fp == 0) return has_zero_;
  if (slots_.empty()) return false;
  const std::uint64_t v = fp;
  for (std::size_t i = home(v);; i = (i + 1) & mask_) {
    if (slots_[i] == v) return true;
    if (slots_[i] == 0) return false;
  }
}

bool FingerprintSet::insert(std::uint64_t fp) {
  if (fp == 0) return !std::exchange(has_zero_, true);
  if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? kMinCapacity : slots_.size() * 2);
  const std::uint64_t v = fp;
  std::size_t i = home(v);
  for (; slots_[i] != 0; i = (i + 1) & mask_)
    if (slots_[i] == v) return false;
  slots_[i] = v;
  ++size_;
  return true;
}

void FingerprintSet::erase(std::uint64_t fp) {
  if (fp == 0) {
    has_zero_ = false;
    return;
  }
  if (slots_.empty()) return;
  const std::uint64_t v = fp;
  std::size_t i = home(v);
  for (; slots_[i] != v; i = (i + 1) & mask_)
    if (slots_[i] == 0) return;
  // Backward-shift: move later entries of the probe run into the hole when that keeps them
  // reachable from their home slot, so no tombstones pile up.
  for (std::size_t j = (i + 1) & mask_; slots_[j] != 0; j = (j + 1) & mask_) {
    const std::size_t h = home(slots_[j]);
    // Movable when its home is not within (i, j] cyclically.
    const bool movable = i <= j ? (h <= i || h > j) : (h <= i && h > j);
    if (movable) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = 0;
  --size_;
  // After a burst has passed, give the memory back.
  if (slots_.size() > kMinCapacity && size_ * 8 < slots_.size()) rehash(slots_.size() / 2);
}

void FingerprintSet::clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  mask_ = 0;
  size_ = 0;
  has_zero_ = false;
}

void FingerprintSet::rehash(std::size_t capacity) {
  std::vector<std::uint64_t> old(capacity, 0);
  old.swap(slots_);
  mask_ = capacity - 1;
  for (std::uint64_t v : old) {
    if (v == 0) continue;
    std::size_t i = home(v);
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = v;
  }
}

}  // namespace roomtemp

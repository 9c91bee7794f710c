#include "series_key.h"

#include <functional>

namespace roomtemp {
namespace {
constexpr char kSep = '\x1f';
}  // namespace

std::string series_key_text(std::string_view b, std::string_view r, std::string_view m) {
  std::string key;
  key.reserve(b.size() + r.size() + m.size() + 2);
  key.append(b).append(1, kSep).append(r).append(1, kSep).append(m);
  return key;
}

SeriesKeyParts split_series_key(std::string_view v) {
  const auto p1 = v.find(kSep);
  const auto p2 = v.find(kSep, p1 + 1);
  return {v.substr(0, p1), v.substr(p1 + 1, p2 - p1 - 1), v.substr(p2 + 1)};
}

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash_series_parts(std::string_view b, std::string_view r, std::string_view m) {
  const std::hash<std::string_view> h;
  return mix64(h(b) ^ mix64(h(r) + 0x9e3779b97f4a7c15ULL) ^ mix64(h(m) + 0x3c6ef372fe94f82aULL));
}

std::size_t SeriesKeyHash::operator()(const SeriesKeyParts& k) const {
  return hash_series_parts(k.building, k.room, k.metric);
}

std::size_t SeriesKeyHash::operator()(const std::string& k) const {
  return (*this)(split_series_key(k));
}

bool SeriesKeyEqual::operator()(const SeriesKeyParts& a, const std::string& b) const {
  const std::size_t n = a.building.size() + a.room.size() + a.metric.size() + 2;
  if (b.size() != n) return false;
  const std::string_view v(b);
  return v.substr(0, a.building.size()) == a.building && v[a.building.size()] == kSep &&
         v.substr(a.building.size() + 1, a.room.size()) == a.room &&
         v[a.building.size() + 1 + a.room.size()] == kSep &&
         v.substr(n - a.metric.size()) == a.metric;
}

}  // namespace roomtemp

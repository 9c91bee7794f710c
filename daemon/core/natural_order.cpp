#include "natural_order.h"

#include <algorithm>
#include <cctype>

namespace roomtemp {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char fold(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

/// -1, 0 or 1 as the runs of digits at the front of `a` and `b` compare by value; both views
/// move past their run.
int compare_numbers(std::string_view& a, std::string_view& b) {
  auto run = [](std::string_view& s) {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[n])) ++n;
    std::string_view digits = s.substr(0, n);
    s.remove_prefix(n);
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    return digits;
  };
  const std::string_view x = run(a), y = run(b);
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  const int c = x.compare(y);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  std::string_view x = a, y = b;
  while (!x.empty() && !y.empty()) {
    if (is_digit(x.front()) && is_digit(y.front())) {
      if (const int c = compare_numbers(x, y); c != 0) return c < 0;
      continue;
    }
    if (x.front() != y.front()) return x.front() < y.front();
    x.remove_prefix(1);
    y.remove_prefix(1);
  }
  if (x.empty() != y.empty()) return x.empty();
  return a < b;
}

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  return std::search(text.begin(), text.end(), part.begin(), part.end(),
                     [](char p, char q) { return fold(p) == fold(q); }) != text.end();
}

}  // namespace roomtemp

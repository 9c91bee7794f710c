#pragma once
// Ids ordered as people read them: building B2 before B10, room 9 before 101.
#include <string_view>

namespace roomtemp {

/// True when `a` comes before `b`: runs of digits compare by their value, everything else by
/// byte; ids equal that way ("7" and "07") fall back to byte order, so the order is total.
bool natural_less(std::string_view a, std::string_view b);

/// True when `part` occurs in `text`, ASCII letters compared without case ("" occurs in all).
bool contains_ignoring_case(std::string_view text, std::string_view part);

}  // namespace roomtemp

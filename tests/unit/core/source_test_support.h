#pragma once
// What the tests of sources share: topic templates written as text.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <variant>

#include "sources.h"

namespace roomtemp::source_test {

/// The template `text` parses to; a test failure naming the text when it does not parse.
inline TopicTemplate tpl(std::string_view text) {
  auto parsed = parse_topic_template(text);
  if (auto* why = std::get_if<std::string>(&parsed)) ADD_FAILURE() << text << ": " << *why;
  return std::get_if<TopicTemplate>(&parsed) ? std::get<TopicTemplate>(parsed) : TopicTemplate{};
}

}  // namespace roomtemp::source_test

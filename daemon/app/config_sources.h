#pragma once
// Reading `sources:` (README "Connecting real sensors") for config_file.cpp: every source's
// topic template, values, timestamp, time zone and devices, checked, with overlaps refused.
#include <yaml-cpp/yaml.h>

#include <string_view>

#include "config.h"
#include "config_reader.h"

namespace roomtemp {

/// The keys of one item of the `sources` list.
inline constexpr std::string_view kSourceKeys[] = {"topic",  "timestamp", "timezone",
                                                   "values", "devices",   "device"};

/// Reads `sources` (the list's node; absent or null: the native scheme alone) into
/// `config.sources`. When the file names `mqtt.subscriptions` as well (`subscriptions`, else
/// null), each of its filters is a native-scheme source too. With sources, config.mqtt's
/// subscriptions become their filters. Needs config.metrics read already. Problems go to
/// `errors`, the reader of the whole file.
void read_sources(const YAML::Node& sources, const YAML::Node& subscriptions, Config& config,
                  ConfigReader& errors);

}  // namespace roomtemp

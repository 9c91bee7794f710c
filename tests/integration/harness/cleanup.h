#pragma once
#include <functional>

namespace roomtemp::harness {

/// What skip() must undo before std::exit: live processes and temp dirs register here while
/// they exist. Processes are cleaned up before directories.
enum class CleanupOrder { process = 0, directory = 1 };
void register_cleanup(const void* key, CleanupOrder order, std::function<void()> undo);
void unregister_cleanup(const void* key);
/// Runs and forgets every registered cleanup (processes first).
void run_all_cleanups();

}  // namespace roomtemp::harness

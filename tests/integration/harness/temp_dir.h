#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

namespace roomtemp::harness {

/// A fresh directory under /tmp (short paths: PostgreSQL puts its socket in one), removed
/// with everything in it on destruction; kept when ROOMTEMP_KEEP_TMP is set, for debugging.
/// The directory itself is mode 0755 so that a server running as another user (postgres)
/// can reach a subdirectory made for it with subdir().
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "roomtemp-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// path()/name (not created).
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Creates path()/name with `mode`, owned by `uid`:`gid` when given; returns its path.
  std::string subdir(const std::string& name, mode_t mode = 0700,
                     std::optional<uid_t> uid = std::nullopt,
                     std::optional<gid_t> gid = std::nullopt) const;

 private:
  std::string path_;
};

/// The whole file ("" when it does not exist).
std::string read_file(const std::string& path);
/// Replaces the file's contents; throws std::runtime_error on failure.
void write_file(const std::string& path, const std::string& contents);

}  // namespace roomtemp::harness

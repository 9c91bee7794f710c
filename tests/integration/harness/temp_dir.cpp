#include "harness/temp_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "harness/cleanup.h"

namespace roomtemp::harness {

namespace {
void remove_tree(const std::string& path) {
  if (std::getenv("ROOMTEMP_KEEP_TMP")) {
    std::cerr << "keeping " << path << " (ROOMTEMP_KEEP_TMP)\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}
}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  path_ = tmpl;
  chmod(path_.c_str(), 0755);
  register_cleanup(this, CleanupOrder::directory, [p = path_] { remove_tree(p); });
}

TempDir::~TempDir() {
  unregister_cleanup(this);
  remove_tree(path_);
}

std::string TempDir::subdir(const std::string& name, mode_t mode, std::optional<uid_t> uid,
                            std::optional<gid_t> gid) const {
  const std::string p = file(name);
  if (mkdir(p.c_str(), mode) != 0 && errno != EEXIST)
    throw std::runtime_error("mkdir " + p + ": " + std::strerror(errno));
  chmod(p.c_str(), mode);
  if ((uid || gid) && chown(p.c_str(), uid ? *uid : -1, gid ? *gid : -1) != 0)
    throw std::runtime_error("chown " + p + ": " + std::strerror(errno));
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace roomtemp::harness

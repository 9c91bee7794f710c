// Reading config and secret files from disk, and splitting `host:port` listen addresses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "config_file.h"
#include "config_test_support.h"

namespace roomtemp {
namespace {

using namespace config_test;

// --- files ----------------------------------------------------------------------------------

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

TEST(LoadConfig, ReadsAFile) {
  const std::string path = temp_path("roomtemp_config_test.yaml");
  {
    std::ofstream out(path);
    out << kDsnOnly << "mqtt:\n  port: 1999\n";
  }
  ConfigResult r = load_config(path);
  EXPECT_TRUE(r.errors.empty()) << dump(r);
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->mqtt.port, 1999);
  EXPECT_EQ(r.config->path, path);
  std::filesystem::remove(path);
}

TEST(LoadConfig, ErrorsNameTheFile) {
  const std::string path = temp_path("roomtemp_config_bad.yaml");
  {
    std::ofstream out(path);
    out << kDsnOnly << "mqtt:\n  prot: 1999\n";
  }
  ConfigResult r = load_config(path);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].to_string().rfind(path + ":4:3: ", 0), 0u) << r.errors[0].to_string();
  std::filesystem::remove(path);
}

// Files the daemon reads once at start: a missing one is a configuration error at its key,
// found by --check-config, not a failure after the daemon touched the network.
TEST(LoadConfig, AFileKeyNamingNoReadableFileIsAnErrorAtTheKey) {
  const std::string path = temp_path("roomtemp_config_files.yaml");
  const std::string missing = temp_path("roomtemp_no_such_password");
  const std::string present = temp_path("roomtemp_present_password");
  std::filesystem::remove(missing);
  {
    std::ofstream(present) << "secret\n";
    std::ofstream out(path);
    out << kDsnOnly                                                 // lines 1-2
        << "  password_file: " << present << "\n"                   // 3
        << "mqtt:\n"                                                // 4
        << "  username: u\n"                                        // 5
        << "  password_file: " << missing << "\n"                   // 6, the value at column 18
        << "  tls: { ca_file: " << ::testing::TempDir() << " }\n";  // 7, a directory, column 19
  }
  ConfigResult r = load_config(path);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 2u) << dump(r);
  EXPECT_EQ(r.errors[0].to_string().rfind(
                path + ":6:18: mqtt.password_file: cannot read '" + missing + "'", 0),
            0u)
      << r.errors[0].to_string();
  EXPECT_TRUE(contains(r.errors[0].message, "No such file")) << r.errors[0].to_string();
  EXPECT_EQ(r.errors[1].line, 7) << r.errors[1].to_string();
  EXPECT_EQ(r.errors[1].column, 19) << r.errors[1].to_string();
  EXPECT_TRUE(contains(r.errors[1].message, "mqtt.tls.ca_file")) << r.errors[1].to_string();

  // Once the file is there, the same config loads.
  std::ofstream(missing) << "pw\n";
  {
    std::ofstream out(path);
    out << kDsnOnly << "mqtt:\n  username: u\n  password_file: " << missing << "\n";
  }
  ConfigResult ok = load_config(path);
  EXPECT_TRUE(ok.config.has_value()) << dump(ok);
  std::filesystem::remove(path);
  std::filesystem::remove(missing);
  std::filesystem::remove(present);
}

TEST(LoadConfig, MissingFile) {
  const std::string path = temp_path("roomtemp_no_such_config.yaml");
  ConfigResult r = load_config(path);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(contains(r.errors[0].to_string(), path)) << r.errors[0].to_string();
}

TEST(ReadSecretFile, TrimsOneTrailingNewline) {
  const std::string path = temp_path("roomtemp_secret");
  {
    std::ofstream out(path, std::ios::binary);
    out << "s3cret\n";
  }
  EXPECT_EQ(read_secret_file(path), "s3cret");
  {
    std::ofstream out(path, std::ios::binary);
    out << "s3cret\r\n";
  }
  EXPECT_EQ(read_secret_file(path), "s3cret");
  {
    std::ofstream out(path, std::ios::binary);
    out << "no newline";
  }
  EXPECT_EQ(read_secret_file(path), "no newline");
  std::filesystem::remove(path);
}

TEST(ReadSecretFile, MissingFileThrowsNamingIt) {
  const std::string path = temp_path("roomtemp_no_such_secret");
  try {
    read_secret_file(path);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), path)) << e.what();
  }
}

// --- host:port ------------------------------------------------------------------------------

TEST(SplitHostPort, Valid) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(split_host_port("127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(split_host_port("[::1]:9090", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 9090);
  ASSERT_TRUE(split_host_port("localhost:65535", host, port));
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 65535);
}

TEST(SplitHostPort, Invalid) {
  for (const char* listen : {"", "localhost", ":8080", "host:", "host:65536", "host:80a", "host:-1",
                             "[::1:8080", "[]:8080", "host:123456"}) {
    std::string host;
    int port = 0;
    EXPECT_FALSE(split_host_port(listen, host, port)) << listen;
  }
}

}  // namespace
}  // namespace roomtemp

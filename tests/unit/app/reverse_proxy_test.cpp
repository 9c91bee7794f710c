// The nginx example of docs/reverse-proxy.md (config/nginx/roomtemp.conf) is a configuration
// nginx accepts (`nginx -t`, with a throw-away self-signed certificate in place of the real
// one) and proxies to the address roomtempd listens on by default. Skips when nginx or openssl
// is not installed (apt install nginx-light openssl); nothing starts or listens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config_file.h"
#include "source_files.h"

namespace roomtemp {
namespace {

namespace fs = std::filesystem;

using test::kSourceDir;
using test::read_text;

/// `program` as found in PATH (or /usr/sbin, where Debian puts nginx), or "".
std::string find_program(const std::string& program) {
  const char* env = std::getenv("PATH");
  std::string dirs = std::string(env ? env : "") + ":/usr/sbin:/sbin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / program;
    if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    start = end + 1;
  }
  return "";
}

/// Runs a shell command; its exit status and everything it printed.
std::pair<int, std::string> run(const std::string& command) {
  FILE* out = ::popen((command + " 2>&1").c_str(), "r");
  if (!out) return {-1, "popen failed"};
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, out)) text += buf;
  const int status = ::pclose(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

std::string shell_quoted(const fs::path& p) { return "'" + p.string() + "'"; }

/// Replaces the one occurrence of `from` in `text`; false when there is none.
bool replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) return false;
  text.replace(at, from.size(), to);
  return true;
}

class NginxExample : public ::testing::Test {
 protected:
  void SetUp() override {
    site_ = read_text(kSourceDir / "config" / "nginx" / "roomtemp.conf");
    ASSERT_FALSE(site_.empty()) << "config/nginx/roomtemp.conf is missing";
  }
  std::string site_;
};

// The upstream is where the shipped example config makes roomtempd listen.
TEST_F(NginxExample, ProxiesToTheDefaultListenAddress) {
  const ConfigResult example = load_config((kSourceDir / "config" / "roomtemp.yaml").string());
  ASSERT_TRUE(example.config);
  EXPECT_NE(site_.find("server " + example.config->http.listen + ";"), std::string::npos)
      << "config/nginx/roomtemp.conf does not proxy to http.listen " << example.config->http.listen;
}

TEST_F(NginxExample, NginxAcceptsIt) {
  const std::string nginx = find_program("nginx");
  const std::string openssl = find_program("openssl");
  if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (apt install nginx-light)";
  if (openssl.empty()) GTEST_SKIP() << "openssl is not installed";

  const fs::path dir =
      fs::path(::testing::TempDir()) / ("roomtemp-nginx-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "tmp");
  const fs::path cert = dir / "cert.pem", key = dir / "key.pem";
  auto [made, made_output] = run(
      shell_quoted(openssl) + " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes" +
      " -keyout " + shell_quoted(key) + " -out " + shell_quoted(cert) +
      " -days 1 -subj /CN=roomtemp.example.org");
  ASSERT_EQ(made, 0) << made_output;

  std::string site = site_;
  ASSERT_TRUE(replace_once(site, "/etc/ssl/roomtemp/fullchain.pem", cert.string()))
      << "the example no longer names /etc/ssl/roomtemp/fullchain.pem";
  ASSERT_TRUE(replace_once(site, "/etc/ssl/roomtemp/privkey.pem", key.string()))
      << "the example no longer names /etc/ssl/roomtemp/privkey.pem";
  std::ofstream(dir / "site.conf") << site;
  // What Debian's /etc/nginx/nginx.conf gives a sites-enabled file: the http { } context.
  const std::string tmp = (dir / "tmp").string();
  std::ofstream(dir / "nginx.conf")
      << "pid " << (dir / "nginx.pid").string() << ";\n"
      << "error_log " << (dir / "error.log").string() << ";\n"
      << "events {}\n"
      << "http {\n  access_log off;\n"
      << "  client_body_temp_path " << tmp << ";\n  proxy_temp_path " << tmp << ";\n"
      << "  fastcgi_temp_path " << tmp << ";\n  uwsgi_temp_path " << tmp << ";\n"
      << "  scgi_temp_path " << tmp << ";\n"
      << "  include " << (dir / "site.conf").string() << ";\n}\n";

  auto [status, output] = run(shell_quoted(nginx) + " -t -p " + shell_quoted(dir) + " -c " +
                              shell_quoted(dir / "nginx.conf"));
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("test is successful"), std::string::npos) << output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace roomtemp

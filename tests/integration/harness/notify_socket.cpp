#include "harness/notify_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "harness/wait.h"

namespace roomtemp::harness {

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) throw std::runtime_error("path too long: " + path_);
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("bind " + path_ + ": " + std::strerror(errno));
  thread_ = std::jthread([this](std::stop_token stop) { receive(stop); });
}

NotifySocket::~NotifySocket() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  ::unlink(path_.c_str());
}

std::optional<std::size_t> NotifySocket::wait_for(const std::string& line, std::size_t from,
                                                  std::chrono::milliseconds timeout, bool prefix) {
  std::optional<std::size_t> found;
  wait_until(
      [&] {
        std::lock_guard lock(mu_);
        for (std::size_t i = from; i < messages_.size(); ++i)
          if (prefix ? messages_[i].line.rfind(line, 0) == 0 : messages_[i].line == line) {
            found = i;
            return true;
          }
        return false;
      },
      timeout, 10ms);
  return found;
}

void NotifySocket::receive(const std::stop_token& stop) {
  char buf[4096];
  while (!stop.stop_requested()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) continue;
    const auto at = std::chrono::steady_clock::now();
    std::string datagram(buf, static_cast<std::size_t>(n));
    std::size_t pos = 0;
    while (pos < datagram.size()) {
      std::size_t end = datagram.find('\n', pos);
      if (end == std::string::npos) end = datagram.size();
      std::string line = datagram.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty()) continue;
      std::function<void(const std::string&)> hook;
      {
        std::lock_guard lock(mu_);
        messages_.push_back({line, at});
        hook = on_line_;
      }
      if (hook) hook(line);
    }
  }
}

}  // namespace roomtemp::harness

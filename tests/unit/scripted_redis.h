// A scripted fake Redis on loopback, for what a real server never sends:
// each command it reads gets the answer a test's function gives.
#pragma once

#include <poll.h>

#include <functional>

#include "redis_server.h"

namespace fibd_redis_test {

// Commands as Redis receives them: arrays of bulk strings. Parses what is
// complete in `buf` and leaves the rest there.
inline std::vector<std::vector<std::string>> take_commands(std::string& buf) {
  std::vector<std::vector<std::string>> out;
  size_t pos = 0;
  auto line = [&](size_t& p, char kind, long& n) {
    if (p >= buf.size() || buf[p] != kind) return false;
    const size_t end = buf.find("\r\n", p);
    if (end == std::string::npos) return false;
    n = std::stol(buf.substr(p + 1, end - p - 1));
    p = end + 2;
    return true;
  };
  for (;;) {
    size_t p = pos;
    long argc = 0;
    if (!line(p, '*', argc)) break;
    std::vector<std::string> cmd;
    bool whole = true;
    for (long i = 0; i < argc && whole; ++i) {
      long len = 0;
      whole = line(p, '$', len) && p + static_cast<size_t>(len) + 2 <= buf.size();
      if (whole) {
        cmd.push_back(buf.substr(p, static_cast<size_t>(len)));
        p += static_cast<size_t>(len) + 2;
      }
    }
    if (!whole) break;
    out.push_back(std::move(cmd));
    pos = p;
  }
  buf.erase(0, pos);
  return out;
}

// A fake Redis on 127.0.0.1:port: `greeting` goes out as soon as a
// connection is accepted, and each command gets `answer(command)`, written
// in one send (so a reply and an extra one arrive together).
class ScriptedRedis {
 public:
  using Answer = std::function<std::string(const std::vector<std::string>&)>;

  ScriptedRedis(int port, std::string greeting, Answer answer)
      : greeting_(std::move(greeting)), answer_(std::move(answer)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listening_ = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                 ::listen(listen_fd_, 16) == 0;
    if (listening_) thread_ = std::jthread([this](std::stop_token st) { serve(st); });
  }
  ~ScriptedRedis() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
    for (auto& c : clients_) ::close(c.fd);
    ::close(listen_fd_);
  }
  ScriptedRedis(const ScriptedRedis&) = delete;
  ScriptedRedis& operator=(const ScriptedRedis&) = delete;

  bool listening() const { return listening_; }
  int accepted() const { return accepted_.load(); }

 private:
  struct Client {
    int fd;
    std::string in;
  };

  void serve(const std::stop_token& st) {
    while (!st.stop_requested()) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          ++accepted_;
          ::send(fd, greeting_.data(), greeting_.size(), MSG_NOSIGNAL);
          clients_.push_back({fd, {}});
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        Client& c = clients_[i - 1];
        char buf[4096];
        const ssize_t n = ::read(c.fd, buf, sizeof buf);
        if (n <= 0) {
          ::close(c.fd);
          c.fd = -1;
          continue;
        }
        c.in.append(buf, static_cast<size_t>(n));
        for (const auto& cmd : take_commands(c.in)) {
          const std::string out = answer_(cmd);
          ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL);
        }
      }
      std::erase_if(clients_, [](const Client& c) { return c.fd < 0; });
    }
  }

  const std::string greeting_;
  const Answer answer_;
  int listen_fd_ = -1;
  bool listening_ = false;
  std::vector<Client> clients_;  // the serving thread's
  std::atomic<int> accepted_{0};
  std::jthread thread_;
};

}  // namespace fibd_redis_test

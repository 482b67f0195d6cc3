// fibd-test-label: threaded
// http::Server with a test handler, over loopback sockets: answers deferred
// and completed from other threads keep request order, connections spread
// evenly over the loops, and the connection limit holds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "http/server.h"

namespace fibd::http {
namespace {

// "/now/X" answers X at once; "/later/X" answers X from another thread after
// a short while (so later requests' answers are ready first).
class TestHandler final : public Handler {
 public:
  void handle(const Request& request, Responder& responder) override {
    const std::string_view path = request.path;
    if (path.starts_with("/now/")) {
      responder.respond(Response{200, "text/plain", {}, {}, path.substr(5), {}, nullptr});
      return;
    }
    Deferred deferred = responder.defer({});
    std::string body(path.substr(7));
    threads_.emplace_back([deferred, body] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      deferred.complete([body](Responder& r) {
        r.respond(Response{200, "text/plain", {}, {}, body, {}, nullptr});
      });
    });
  }
  ~TestHandler() override {
    for (auto& t : threads_) t.join();
  }

 private:
  std::vector<std::thread> threads_;
};

struct Listener {
  UniqueFd fd;
  int port = 0;
  Listener() : fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd.get(), 64), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
};

UniqueFd connect_to(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

std::string read_until_closed(int fd) {
  std::string data;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    data.append(buf, static_cast<size_t>(n));
  return data;
}

std::vector<std::string> bodies(const std::string& answers) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = answers.find("\r\n\r\n", pos)) != std::string::npos) {
    const std::size_t cl = answers.rfind("Content-Length: ", pos);
    const std::size_t length = std::stoul(answers.substr(cl + 16));
    out.push_back(answers.substr(pos + 4, length));
    pos += 4 + length;
  }
  return out;
}

Server::HandlerFactory test_handlers() {
  return [] { return std::make_unique<TestHandler>(); };
}

TEST(HttpServer, PipelinedDeferredAnswersKeepRequestOrder) {
  Listener listener;
  Server server(listener.fd.get(), 2, Limits{}, test_handlers());
  server.start();
  UniqueFd c = connect_to(listener.port);
  const std::string requests =
      "GET /later/a HTTP/1.1\r\nHost: x\r\n\r\nGET /now/b HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /later/c HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /now/d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(c.get(), requests.data(), requests.size(), 0),
            static_cast<ssize_t>(requests.size()));
  EXPECT_EQ(bodies(read_until_closed(c.get())),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  server.stop();
}

TEST(HttpServer, ConnectionsSpreadEvenlyOverLoops) {
  Listener listener;
  Server server(listener.fd.get(), 3, Limits{}, test_handlers());
  server.start();
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 9; ++i) {
    clients.push_back(connect_to(listener.port));
    const std::string req = "GET /now/x HTTP/1.1\r\nHost: x\r\n\r\n";
    ::send(clients.back().get(), req.data(), req.size(), 0);
    char buf[512];
    ASSERT_GT(::recv(clients.back().get(), buf, sizeof buf, 0), 0);  // adopted and served
  }
  EXPECT_EQ(server.connections_per_loop(), (std::vector<std::size_t>{3, 3, 3}));
  server.stop();
}

TEST(HttpServer, ConnectionLimit) {
  Listener listener;
  Limits limits;
  limits.max_connections = 1;
  Server server(listener.fd.get(), 1, limits, test_handlers());
  server.start();
  UniqueFd first = connect_to(listener.port);
  const std::string req = "GET /now/x HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(first.get(), req.data(), req.size(), 0);
  char buf[512];
  ASSERT_GT(::recv(first.get(), buf, sizeof buf, 0), 0);
  UniqueFd second = connect_to(listener.port);
  const std::string refused = read_until_closed(second.get());
  EXPECT_EQ(refused.rfind("HTTP/1.1 503 ", 0), 0u) << refused;
  EXPECT_EQ(server.connections(), 1u);
  server.stop();
}

}  // namespace
}  // namespace fibd::http

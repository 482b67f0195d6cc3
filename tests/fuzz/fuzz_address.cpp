// Address parsers: the daemon's listen (host:port, [v6]:port) and the redis
// plugin's address option (also unix:/path).
#include <sys/un.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "fuzz_check.h"
#include "options.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  try {
    const fibd::ListenAddress a = fibd::parse_listen(text);
    FUZZ_CHECK(a.port >= 1, "port 0 from '%s'", text.c_str());
    FUZZ_CHECK(!a.host.empty(), "empty host from '%s'", text.c_str());
    FUZZ_CHECK(a.host.find('\0') == std::string::npos, "NUL in host");
    const std::string printed = fibd::format_listen(a);
    const fibd::ListenAddress b = fibd::parse_listen(printed);
    FUZZ_CHECK(a.host == b.host && a.port == b.port, "'%s' -> '%s' differs", text.c_str(),
               printed.c_str());
  } catch (const fibd::ConfigError&) {
  }

  std::string why;
  if (auto a = fibd_redis::parse_address(text, why)) {
    FUZZ_CHECK(why.empty(), "reason given for a valid address");
    if (a->is_unix) {
      FUZZ_CHECK(!a->path.empty() && a->path[0] == '/', "relative unix path");
      FUZZ_CHECK(a->path.size() < sizeof(sockaddr_un{}.sun_path), "unix path too long");
      FUZZ_CHECK(a->path.find('\0') == std::string::npos, "NUL in unix path");
    } else {
      FUZZ_CHECK(a->port >= 1 && a->port <= 65535, "port %d", a->port);
      FUZZ_CHECK(!a->host.empty(), "empty host");
      std::string why2;
      auto b = fibd_redis::parse_address(a->to_string(), why2);
      FUZZ_CHECK(b && b->host == a->host && b->port == a->port, "'%s' -> '%s' differs",
                 text.c_str(), a->to_string().c_str());
    }
  } else {
    FUZZ_CHECK(!why.empty(), "no reason for refusing '%s'", text.c_str());
  }
  return 0;
}

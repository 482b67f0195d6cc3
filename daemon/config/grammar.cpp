// The config's grammars are the ones plugins get from <fibd/grammar.hpp>:
// these wrappers only turn a refusal into a ConfigError.
#include <fibd/grammar.hpp>

#include "config/config.h"

namespace fibd {

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::chrono::milliseconds d{0};
  std::string why;
  if (!grammar::parse_duration(text, &d, &why)) throw ConfigError(why);
  return d;
}

std::string format_duration(std::chrono::milliseconds d) {
  return grammar::format_duration(d);
}

ListenAddress parse_listen(const std::string& text) {
  ListenAddress address;
  std::string why;
  if (!grammar::parse_host_port(text, &address, &why)) throw ConfigError(why);
  return address;
}

std::string format_listen(const ListenAddress& address) {
  return grammar::format_host_port(address);
}

std::uint64_t parse_size(const std::string& text) {
  std::uint64_t bytes = 0;
  std::string why;
  if (!grammar::parse_size(text, &bytes, &why)) throw ConfigError(why);
  return bytes;
}

}  // namespace fibd

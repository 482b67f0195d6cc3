// Helpers shared by the config tests: parsing errors, argv, scratch files,
// and the built-in defaults.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"

namespace fibd::config_test {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

inline std::string error_of(const std::string& yaml,
                            const std::string& source = "test.yaml") {
  try {
    parse_config(yaml, source);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted:\n" << yaml;
  return "";
}

// argv for parse_command_line, with storage that outlives the call.
class Args {
 public:
  Args(std::initializer_list<std::string> args) : storage_(args) {
    for (auto& s : storage_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

inline CommandLine parse(std::initializer_list<std::string> args) {
  Args a(args);
  return parse_command_line(a.argc(), a.argv());
}

// A scratch directory removed with the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fibd-config-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void expect_defaults(const Config& c) {
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.log_level, LogLevel::Info);
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.algorithm, Algorithm::Fast);
  EXPECT_EQ(c.max_n, 1000000u);
  EXPECT_EQ(c.max_inflight, 64u);
  EXPECT_EQ(c.compute_timeout, milliseconds(30000));
  EXPECT_EQ(c.cache.plugin, "none");
  EXPECT_EQ(c.cache.plugin_dir, FIBD_DEFAULT_PLUGIN_DIR);
  EXPECT_EQ(c.cache.factory, "fibd_cache_plugin");
  EXPECT_TRUE(c.cache.trust_check);
  EXPECT_EQ(c.cache.expiration, milliseconds(15000));
  EXPECT_TRUE(c.cache.options.empty());
  EXPECT_EQ(c.http.max_connections, 10000u);
  EXPECT_EQ(c.http.head_timeout, milliseconds(15000));
  EXPECT_EQ(c.http.idle_timeout, milliseconds(60000));
  EXPECT_EQ(c.http.max_request_line, 8192u);
  EXPECT_EQ(c.http.max_header_bytes, 32768u);
  EXPECT_EQ(c.bus, BusKind::None);
}

}  // namespace fibd::config_test

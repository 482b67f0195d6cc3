// fibd-plugin-check's report: PASS/FAIL/SKIP/WARN lines and the result,
// and the printable forms of what a plugin answered.
#pragma once

#include <fibd/cache_plugin.h>

#include <initializer_list>
#include <string>

namespace fibd::plugin_check {

const char* status_name(fibd_cache_status s);

// Printable form of a byte string, cut short.
std::string show(const std::string& bytes);

// The first non-empty problem, or "".
std::string first_of(std::initializer_list<std::string> problems);

class Report {
 public:
  void pass(const std::string& check, const std::string& detail = "");
  void fail(const std::string& check, const std::string& detail);
  void skip(const std::string& check, const std::string& detail);
  void warn(const std::string& check, const std::string& detail);
  // PASS when `problem` is empty, FAIL with it otherwise.
  bool expect(const std::string& check, const std::string& problem,
              const std::string& detail = "");
  // Prints the result line; the exit status (0 all passed, 1 a check failed).
  int finish() const;

 private:
  static void line(const char* tag, const std::string& check, const std::string& detail);
  int passed_ = 0, failed_ = 0, skipped_ = 0, warned_ = 0;
};

}  // namespace fibd::plugin_check

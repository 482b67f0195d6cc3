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

// What a report counted; fibd-plugin-check's children count into shared
// memory, which the parent adds to its own.
struct Counts {
  int passed = 0, failed = 0, skipped = 0, warned = 0;
};

class Report {
 public:
  // Counts into `counts` when given (it must outlive the report).
  explicit Report(Counts* counts = nullptr) : counts_(counts ? counts : &own_) {}
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;
  // Adds what another report (a child's) counted.
  void add(const Counts& other);
  int failed() const { return counts_->failed; }

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
  Counts own_;
  Counts* counts_;
};

}  // namespace fibd::plugin_check

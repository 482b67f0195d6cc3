#include "report.h"

#include <iostream>

#include "base/escape.h"

namespace fibd::plugin_check {

const char* status_name(fibd_cache_status s) {
  switch (s) {
    case FIBD_CACHE_OK:
      return "OK";
    case FIBD_CACHE_HIT:
      return "HIT";
    case FIBD_CACHE_NOT_FOUND:
      return "NOT_FOUND";
    case FIBD_CACHE_EXPIRED:
      return "EXPIRED";
    case FIBD_CACHE_ERROR:
      return "ERROR";
    case FIBD_CACHE_PENDING:
      return "PENDING";
    case FIBD_CACHE_CANCELLED:
      return "CANCELLED";
    default:
      break;
  }
  return "?";
}

std::string show(const std::string& bytes) {
  std::string out = "\"" + escape_untrusted(bytes, 40) + "\"";
  if (bytes.size() > 40) out += "(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string first_of(std::initializer_list<std::string> problems) {
  for (const auto& p : problems) {
    if (!p.empty()) return p;
  }
  return "";
}

void Report::pass(const std::string& check, const std::string& detail) {
  ++counts_->passed;
  line("PASS", check, detail);
}
void Report::fail(const std::string& check, const std::string& detail) {
  ++counts_->failed;
  line("FAIL", check, detail);
}
void Report::skip(const std::string& check, const std::string& detail) {
  ++counts_->skipped;
  line("SKIP", check, detail);
}
void Report::warn(const std::string& check, const std::string& detail) {
  ++counts_->warned;
  line("WARN", check, detail);
}

bool Report::expect(const std::string& check, const std::string& problem,
                    const std::string& detail) {
  if (problem.empty()) {
    pass(check, detail);
    return true;
  }
  fail(check, problem);
  return false;
}

void Report::add(const Counts& other) {
  counts_->passed += other.passed;
  counts_->failed += other.failed;
  counts_->skipped += other.skipped;
  counts_->warned += other.warned;
}

int Report::finish() const {
  const Counts& c = *counts_;
  std::cout << "\n"
            << (c.failed == 0 ? "RESULT: PASS" : "RESULT: FAIL") << " (" << c.passed
            << " passed, " << c.failed << " failed, " << c.skipped << " skipped, "
            << c.warned << " warnings)\n";
  return c.failed == 0 ? 0 : 1;
}

void Report::line(const char* tag, const std::string& check, const std::string& detail) {
  std::cout << tag << "  " << check;
  if (!detail.empty()) std::cout << ": " << detail;
  std::cout << std::endl;
}

}  // namespace fibd::plugin_check

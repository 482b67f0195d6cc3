// Large values that passed the check of cached values lately, so that the
// same bytes coming back from the cache again are recognised by a memcmp
// instead of being weighed digit by digit once more. Only values that
// passed the full check are kept: equal bytes are F(n) just as surely. The
// copy kept is immutable and shared, so an answer can be sent from it by
// reference instead of copying the bytes the cache handed over once more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace fibd {

class VerifiedValues {
 public:
  // Keeps values of at least `min_size` bytes, `budget` bytes in all, the
  // oldest forgotten first.
  VerifiedValues(std::size_t min_size, std::size_t budget);

  bool worth_keeping(std::string_view value) const {
    return value.size() >= min_size_ && value.size() <= budget_;
  }
  // The verified value of n if `value` is, byte for byte, the same; else null.
  std::shared_ptr<const std::string> find(std::uint64_t n, std::string_view value) const;
  // `value` passed the full check as F(n): the copy kept (null if not kept).
  std::shared_ptr<const std::string> remember(std::uint64_t n, std::string_view value);

  std::size_t bytes() const;

 private:
  const std::size_t min_size_;
  const std::size_t budget_;
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<const std::string>> by_n_;
  std::deque<std::uint64_t> oldest_first_;
  std::size_t bytes_ = 0;
};

}  // namespace fibd

#include "compute/verified_values.h"

#include <cstring>

namespace fibd {

VerifiedValues::VerifiedValues(std::size_t min_size, std::size_t budget)
    : min_size_(min_size), budget_(budget) {}

std::shared_ptr<const std::string> VerifiedValues::find(std::uint64_t n,
                                                        std::string_view value) const {
  std::shared_ptr<const std::string> known;
  {
    const std::lock_guard lock(mutex_);
    const auto it = by_n_.find(n);
    if (it == by_n_.end()) return nullptr;
    known = it->second;
  }
  // Compared outside the lock: the string is immutable and held here.
  const bool same = known->size() == value.size() &&
                    std::memcmp(known->data(), value.data(), value.size()) == 0;
  return same ? known : nullptr;
}

std::shared_ptr<const std::string> VerifiedValues::remember(std::uint64_t n,
                                                            std::string_view value) {
  if (!worth_keeping(value)) return nullptr;
  auto copy = std::make_shared<const std::string>(value);  // allocated outside the lock
  const std::lock_guard lock(mutex_);
  // F(n) has one value: if it is there already, that copy serves.
  if (const auto it = by_n_.find(n); it != by_n_.end()) return it->second;
  while (bytes_ + value.size() > budget_ && !oldest_first_.empty()) {
    const auto it = by_n_.find(oldest_first_.front());
    bytes_ -= it->second->size();
    by_n_.erase(it);
    oldest_first_.pop_front();
  }
  by_n_.emplace(n, copy);
  oldest_first_.push_back(n);
  bytes_ += value.size();
  return copy;
}

std::size_t VerifiedValues::bytes() const {
  const std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace fibd

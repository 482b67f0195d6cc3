#include "plugin_host/cache.h"

namespace fibd {
namespace {

class NoneCache final : public Cache {
 public:
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  const std::string& path() const override { return path_; }
  bool non_blocking() const override { return true; }
  bool keeps_values() const override { return false; }

  CacheOutcome get(std::string_view, std::string&, std::string&) override {
    return CacheOutcome::NotFound;
  }
  bool set(std::string_view, std::string_view, std::chrono::milliseconds,
           std::string&) override {
    return true;
  }

 private:
  std::string name_ = "none";
  std::string version_ = FIBD_VERSION;
  std::string path_;
};

}  // namespace

std::shared_ptr<Cache> make_none_cache() { return std::make_shared<NoneCache>(); }

}  // namespace fibd

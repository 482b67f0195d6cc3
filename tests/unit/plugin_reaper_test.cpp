// fibd-test-label: threaded
#include "plugin_host/plugin_reaper.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <future>
#include <string>

#include "plugin_host/cache.h"

namespace fibd {
namespace {

// A cache that reports the thread its destructor runs on.
class RecordingCache final : public Cache {
 public:
  explicit RecordingCache(std::promise<std::string>& died) : died_(died) {}
  ~RecordingCache() override {
    char name[16] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    died_.set_value(name);
  }
  const std::string& name() const override { return text_; }
  const std::string& version() const override { return text_; }
  const std::string& path() const override { return text_; }
  bool non_blocking() const override { return true; }
  CacheOutcome get(std::string_view, std::string&, std::string&) override {
    return CacheOutcome::NotFound;
  }
  bool set(std::string_view, std::string_view, std::chrono::milliseconds,
           std::string&) override {
    return true;
  }

 private:
  std::promise<std::string>& died_;
  std::string text_ = "recording";
};

TEST(PluginReaper, LastReleaseDestroysOnTheReaperThread) {
  PluginReaper reaper;
  std::promise<std::string> died;
  auto cache = reaper.adopt(std::make_shared<RecordingCache>(died));
  auto copy = cache;
  cache.reset();
  copy.reset();  // the last reference, released on this thread
  EXPECT_EQ(died.get_future().get(), "fibd-reaper");
}

TEST(PluginReaper, ShutdownDestroysWhatIsStillQueued) {
  std::promise<std::string> died[3];
  {
    PluginReaper reaper;
    for (auto& p : died) reaper.adopt(std::make_shared<RecordingCache>(p)).reset();
  }
  for (auto& p : died) {
    auto f = p.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_EQ(f.get(), "fibd-reaper");
  }
}

}  // namespace
}  // namespace fibd

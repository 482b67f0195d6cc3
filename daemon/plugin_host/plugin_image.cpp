#include "plugin_host/plugin_image.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>

#include "base/log.h"
#include "base/unique_fd.h"
#include "plugin_host/cache_factory.h"
#include "plugin_host/elf_check.h"
#include "plugin_host/plugin_trust.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3: ask for an executable memfd explicitly
#endif

namespace fibd {

namespace {

std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_pinned{0};

std::function<void(const std::string&)>& after_copy_hook() {
  static std::function<void(const std::string&)> hook;
  return hook;
}

// Larger files are refused rather than copied into memory.
constexpr off_t kMaxPluginFileSize = off_t{512} << 20;

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw CacheLoadError("cannot load cache plugin " + path + ": " + reason);
}

std::string errno_text(int err) { return std::strerror(err); }

// Copies all of `in` (size bytes) to `out`. Returns an error text or nullopt.
std::optional<std::string> copy_all(int in, int out, off_t size) {
  static constexpr std::size_t kChunk = 1 << 16;
  auto buf = std::make_unique<char[]>(kChunk);
  off_t total = 0;
  for (;;) {
    ssize_t n = ::read(in, buf.get(), kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "cannot read it: " + errno_text(errno);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.get() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return "cannot copy it into memory: " + errno_text(errno);
      done += w;
    }
    total += n;
    if (total > kMaxPluginFileSize) return "it grew past the size limit while being read";
  }
  if (total != size)
    return "it changed size while being read (being replaced right now?)";
  return std::nullopt;
}

std::string replace_all(std::string text, const std::string& from,
                        const std::string& to) {
  if (from.empty()) return text;
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos;
       pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::unique_ptr<PluginImage> PluginImage::open(const std::string& path,
                                               bool trust_check) {
  // stat() before open(): opening a FIFO or a device could block or have
  // side effects.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) fail(path, "no such file");
    if (err == ENOTDIR) fail(path, "a component of the path is not a directory");
    fail(path, "cannot access it: " + errno_text(err));
  }
  if (S_ISDIR(st.st_mode)) fail(path, "it is a directory, not a plugin file");
  if (!S_ISREG(st.st_mode)) fail(path, "it is not a regular file");

  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.get() < 0) fail(path, "cannot read it: " + errno_text(errno));
  if (::fstat(file.get(), &st) != 0) fail(path, "cannot stat it: " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "it is not a regular file");
  if (st.st_size > kMaxPluginFileSize) {
    fail(path, "it is " + std::to_string(st.st_size) + " bytes, more than the " +
                   std::to_string(kMaxPluginFileSize >> 20) + " MiB a plugin may have");
  }

  // The copy is what gets checked and loaded: a file rewritten in place
  // after this point changes nothing.
  std::string memfd_name = "fibd-plugin:" + base_name(path);
  int memfd =
      ::memfd_create(memfd_name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (memfd < 0 && errno == EINVAL) {  // kernels before 6.3 do not know MFD_EXEC
    memfd = ::memfd_create(memfd_name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  }
  if (memfd < 0) {
    int err = errno;
    fail(path, "memfd_create failed: " + errno_text(err) +
                   (err == EACCES ? " (the sysctl vm.memfd_noexec=2 forbids executable "
                                    "memfds, which plugin loading needs)"
                                  : ""));
  }
  UniqueFd mem(memfd);
  if (auto e = copy_all(file.get(), mem.get(), st.st_size)) fail(path, *e);
  if (after_copy_hook()) after_copy_hook()(path);
  // The identity of what was read: the copied descriptor's, not the path's
  // (dpkg may have renamed a new file over it by now). A file rewritten in
  // place while it was read is refused.
  struct stat read_st {};
  if (::fstat(file.get(), &read_st) != 0)
    fail(path, "cannot stat it: " + errno_text(errno));
  if (!(FileIdentity::of(read_st) == FileIdentity::of(st))) {
    fail(path, "it changed while being read (being replaced right now?)");
  }
  // Seal it: nobody can change the image's bytes behind the loader's back.
  (void)::fcntl(mem.get(), F_ADD_SEALS,
                F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);

  if (auto e = check_elf_file(mem.get())) fail(path, *e);
  if (trust_check) {
    if (auto e = check_plugin_trust(file.get(), path, ::geteuid())) {
      fail(path, "refusing to load it: " + *e +
                     " (cache.trust_check: false turns this check off, for "
                     "development only)");
    }
  }

  std::string load_path = "/proc/self/fd/" + std::to_string(mem.get());
  if (::access(load_path.c_str(), R_OK) != 0) {
    fail(path, "cannot reach its in-memory copy at " + load_path +
                   " (is /proc mounted?): " + errno_text(errno));
  }
  ::dlerror();
  void* handle = ::dlopen(load_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    fail(path,
         "dlopen failed: " + replace_all(why ? why : "unknown error", load_path, path));
  }
  return std::unique_ptr<PluginImage>(
      new PluginImage(path, FileIdentity::of(read_st), std::move(mem), handle));
}

PluginImage::PluginImage(std::string path, FileIdentity identity, UniqueFd memfd,
                         void* handle)
    : path_(std::move(path)),
      load_path_("/proc/self/fd/" + std::to_string(memfd.get())),
      identity_(identity),
      memfd_(std::move(memfd)),
      handle_(handle) {
  g_live.fetch_add(1, std::memory_order_relaxed);
}

PluginImage::~PluginImage() {
  bool pinned = false;
  if (handle_ != nullptr) {
    if (::dlclose(handle_) != 0) {
      const char* why = ::dlerror();
      spdlog::default_logger()->warn("dlclose of plugin {} failed: {}", path_,
                                     why ? why : "unknown error");
    }
    // Only a name match with a loaded object can succeed here: the memfd
    // is still open, so the name still resolves to this very image.
    if (void* again = ::dlopen(load_path_.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {
      ::dlclose(again);
      pinned = true;
      g_pinned.fetch_add(1, std::memory_order_relaxed);
      spdlog::default_logger()->warn(
          "plugin {} is still loaded after dlclose (STB_GNU_UNIQUE symbols? build "
          "C++ plugins with -fno-gnu-unique); its code stays in memory until exit",
          path_);
    }
  }
  // A pinned image's code stays mapped: its memfd must stay open too.
  if (pinned) static_cast<void>(memfd_.release());
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

void* PluginImage::symbol(const std::string& name) const {
  ::dlerror();
  return ::dlsym(handle_, name.c_str());
}

std::size_t PluginImage::live_count() { return g_live.load(std::memory_order_relaxed); }
std::size_t PluginImage::pinned_count() {
  return g_pinned.load(std::memory_order_relaxed);
}

void PluginImage::set_after_copy_hook_for_tests(
    std::function<void(const std::string& path)> hook) {
  after_copy_hook() = std::move(hook);
}

}  // namespace fibd

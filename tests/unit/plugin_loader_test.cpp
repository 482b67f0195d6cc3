// The loader: every way a plugin can fail to load, each with its own message,
// and the replaced-.so reload.
#include <dlfcn.h>
#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <link.h>

#include "plugin_host/cache_factory.h"
#include "plugin_host/elf_check.h"
#include "plugin_test_support.h"

namespace fibd {
namespace {

using test::copy_to;
using test::load;
using test::load_error;
using test::read_file;
using test::shipped_plugin;
using test::TempDir;
using test::test_plugin;
using test::write_file;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A copy of example_c.so with some bytes changed.
std::string patched_plugin(const TempDir& dir, const std::string& name,
                           const std::function<void(std::string&)>& patch) {
  std::string bytes = read_file(shipped_plugin("example_c"));
  patch(bytes);
  std::string path = dir.file(name);
  write_file(path, bytes, 0755);
  return path;
}

void put_u16(std::string& bytes, std::size_t offset, std::uint16_t v) {
  bytes[offset] = static_cast<char>(v & 0xff);  // the host is little-endian here
  bytes[offset + 1] = static_cast<char>(v >> 8);
}

bool image_mapped(const std::string& load_path) {
  struct Search {
    const std::string* name;
    bool found = false;
  } search{&load_path};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        if (info->dlpi_name != nullptr && *s->name == info->dlpi_name) s->found = true;
        return 0;
      },
      &search);
  return search.found;
}

TEST(PluginLoader, LoadsShippedPlugins) {
  auto memory = load(shipped_plugin("memory"));
  EXPECT_EQ(memory->name(), "memory");
  EXPECT_EQ(memory->path(), shipped_plugin("memory"));
  EXPECT_TRUE(memory->non_blocking());
  auto example = load(shipped_plugin("example_c"));
  EXPECT_EQ(example->name(), "example_c");
  EXPECT_EQ(example->version(), "1.0.0");
  EXPECT_THAT(example->load_path(), StartsWith("/proc/self/fd/"));
  // The in-memory copy is sealed: nobody can change the loaded bytes.
  int fd = ::open(example->load_path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  int seals = ::fcntl(fd, F_GET_SEALS);
  ::close(fd);
  EXPECT_EQ(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
            F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
}

TEST(PluginLoader, MissingFile) {
  EXPECT_THAT(load_error("/nonexistent/dir/memory.so"),
              AllOf(HasSubstr("cannot load cache plugin /nonexistent/dir/memory.so"),
                    HasSubstr("no such file")));
}

TEST(PluginLoader, MissingNamedPluginSaysWhereItLooked) {
  CacheSettings s;
  s.plugin = "nosuchplugin";
  s.plugin_dir = "/nonexistent/plugins";
  try {
    open_cache(s);
    FAIL() << "loaded";
  } catch (const CacheLoadError& e) {
    EXPECT_THAT(
        e.what(),
        AllOf(
            HasSubstr("/nonexistent/plugins/nosuchplugin.so"), HasSubstr("no such file"),
            HasSubstr("looked up in cache.plugin_dir"),
            HasSubstr(
                "install the package that provides it, e.g. fibd-plugin-nosuchplugin")));
  }
}

TEST(PluginLoader, Directory) {
  TempDir dir;
  EXPECT_THAT(load_error(dir.path()), HasSubstr("it is a directory, not a plugin file"));
}

TEST(PluginLoader, NotRegularFile) {
  EXPECT_THAT(load_error("/dev/null"), HasSubstr("it is not a regular file"));
}

TEST(PluginLoader, TextFileIsNotElf) {
  TempDir dir;
  write_file(dir.file("notes.so"), "this is a text file\n");
  EXPECT_THAT(load_error(dir.file("notes.so")),
              AllOf(HasSubstr("not an ELF shared object"), HasSubstr("ELF magic")));
}

TEST(PluginLoader, EmptyFile) {
  TempDir dir;
  write_file(dir.file("empty.so"), "");
  EXPECT_THAT(load_error(dir.file("empty.so")), HasSubstr("the file is empty"));
}

TEST(PluginLoader, RelocatableObjectIsNotSharedObject) {
  TempDir dir;
  auto path = patched_plugin(dir, "object.so", [](std::string& b) {
    put_u16(b, offsetof(Elf64_Ehdr, e_type), ET_REL);
  });
  EXPECT_THAT(load_error(path),
              HasSubstr("not a shared object: it is an ELF relocatable object"));
}

TEST(PluginLoader, ExecutableIsNotSharedObject) {
  TempDir dir;
  auto path = patched_plugin(dir, "exec.so", [](std::string& b) {
    put_u16(b, offsetof(Elf64_Ehdr, e_type), ET_EXEC);
  });
  EXPECT_THAT(load_error(path),
              HasSubstr("not a shared object: it is an ELF executable"));
}

TEST(PluginLoader, RealExecutableIsRefused) {
  // This test program: a PIE (ET_DYN with DF_1_PIE) or a plain executable.
  TempDir dir;
  auto path = copy_to("/proc/self/exe", dir.file("program.so"));
  EXPECT_THAT(load_error(path),
              AllOf(HasSubstr("not a shared object"), HasSubstr("executable")));
}

TEST(PluginLoader, WrongArchitectureNamesBoth) {
  TempDir dir;
  ElfTarget host = host_elf_target();
  std::uint16_t foreign = host.machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  auto path = patched_plugin(dir, "foreign.so", [&](std::string& b) {
    put_u16(b, offsetof(Elf64_Ehdr, e_machine), foreign);
  });
  ElfTarget other = host;
  other.machine = foreign;
  EXPECT_THAT(load_error(path),
              AllOf(HasSubstr("wrong architecture"),
                    HasSubstr("built for " + describe_elf_target(other)),
                    HasSubstr("fibd runs on " + describe_elf_target(host))));
  EXPECT_THAT(describe_elf_target(host), HasSubstr("-bit"));
}

TEST(PluginLoader, WrongElfClass) {
  TempDir dir;
  auto path = patched_plugin(dir, "class.so", [](std::string& b) {
    b[EI_CLASS] = b[EI_CLASS] == ELFCLASS64 ? ELFCLASS32 : ELFCLASS64;
  });
  EXPECT_THAT(load_error(path), HasSubstr("wrong architecture"));
}

TEST(PluginLoader, ElfHeaderChecksArePure) {
  ElfTarget host = host_elf_target();
  const unsigned char text[] = "#!/bin/sh\n";
  EXPECT_THAT(check_elf_header(text, sizeof text, host).value_or(""),
              HasSubstr("ELF magic"));
  EXPECT_THAT(check_elf_header(text, 0, host).value_or(""), HasSubstr("empty"));
  const unsigned char truncated[] = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, 1, 0,
                                     0,    0,   0,   0,   0,          0,           0, 0};
  EXPECT_THAT(check_elf_header(truncated, sizeof truncated, host).value_or(""),
              HasSubstr("truncated"));
  unsigned char bad_class[sizeof truncated];
  std::memcpy(bad_class, truncated, sizeof truncated);
  bad_class[EI_CLASS] = 7;
  EXPECT_THAT(check_elf_header(bad_class, sizeof bad_class, host).value_or(""),
              HasSubstr("corrupt"));
}

TEST(PluginLoader, DlopenFailureCarriesDlerror) {
  // A shared object whose dependency does not exist passes every check
  // before dlopen(), which then fails.
  TempDir dir;
  auto path = patched_plugin(dir, "brokendep.so", [](std::string& b) {
    const std::string from = "libc.so.6", to = "libx.so.6";
    for (auto pos = b.find(from); pos != std::string::npos; pos = b.find(from, pos + 1)) {
      b.replace(pos, from.size(), to);
    }
  });
  EXPECT_THAT(load_error(path),
              AllOf(HasSubstr("cannot load cache plugin " + path),
                    HasSubstr("dlopen failed"), HasSubstr("libx.so.6")));
}

TEST(PluginLoader, UnreadableFile) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  auto path = copy_to(shipped_plugin("example_c"), dir.file("secret.so"), 0600);
  if (::geteuid() != 0) {
    ::chmod(path.c_str(), 0000);
    EXPECT_THAT(load_error(path), HasSubstr("cannot read it: Permission denied"));
    return;
  }
  // root reads anything: try as nobody instead.
  std::string message = test::run_as_nobody([&] { return load_error(path); });
  EXPECT_THAT(message, HasSubstr("cannot read it: Permission denied"));
}

TEST(PluginLoader, UntrustedFileWritableByOthers) {
  TempDir dir;
  auto path = copy_to(shipped_plugin("example_c"), dir.file("open.so"), 0666);
  EXPECT_THAT(
      load_error(path),
      AllOf(HasSubstr("refusing to load it: the file is writable by group or others"),
            HasSubstr("(mode 0666)"), HasSubstr("chmod go-w"),
            HasSubstr("cache.trust_check: false")));
}

TEST(PluginLoader, UntrustedFileWritableByGroup) {
  TempDir dir;
  auto path = copy_to(shipped_plugin("example_c"), dir.file("group.so"), 0775);
  EXPECT_THAT(load_error(path), HasSubstr("writable by group or others (mode 0775)"));
}

TEST(PluginLoader, UntrustedDirectory) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  auto path = copy_to(shipped_plugin("example_c"), dir.file("plugin.so"), 0755);
  EXPECT_THAT(load_error(path), HasSubstr("its directory " + dir.path() +
                                          " is writable by group or others (mode 0777)"));
}

TEST(PluginLoader, UntrustedSymlinkTargetDirectory) {
  TempDir trusted, open;
  ::chmod(open.path().c_str(), 0777);
  auto target = copy_to(shipped_plugin("example_c"), open.file("plugin.so"), 0755);
  std::string link = trusted.file("plugin.so");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_THAT(load_error(link),
              HasSubstr("its directory " + open.path() + " is writable"));
}

TEST(PluginLoader, UntrustedForeignOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDir dir;
  auto path = copy_to(shipped_plugin("example_c"), dir.file("foreign.so"), 0755);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  EXPECT_THAT(load_error(path),
              AllOf(HasSubstr("the file is owned by uid 65534"),
                    HasSubstr("not by root or by the daemon's user (uid 0")));
}

TEST(PluginLoader, UntrustedForeignOwnedDirectory) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDir dir;
  auto path = copy_to(shipped_plugin("example_c"), dir.file("plugin.so"), 0755);
  ASSERT_EQ(::chown(dir.path().c_str(), 65534, 65534), 0);
  EXPECT_THAT(load_error(path),
              HasSubstr("its directory " + dir.path() + " is owned by uid 65534"));
}

TEST(PluginLoader, TrustCheckOffLoadsUntrustedPlugin) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  auto path = copy_to(shipped_plugin("example_c"), dir.file("dev.so"), 0666);
  auto cache = load(path, {}, /*trust_check=*/false);
  EXPECT_EQ(cache->name(), "example_c");
}

TEST(PluginLoader, MissingFactorySymbol) {
  std::string path = shipped_plugin("example_c");
  EXPECT_THAT(load_error(path, true, "no_such_factory"),
              AllOf(HasSubstr("cannot load cache plugin " + path),
                    HasSubstr("does not export the factory symbol 'no_such_factory'")));
}

TEST(PluginLoader, InvalidFactoryName) {
  EXPECT_THAT(load_error(shipped_plugin("example_c"), true, "bad name()"),
              HasSubstr("cache.factory: 'bad name()' is not a valid symbol name"));
}

TEST(PluginLoader, CustomFactoryName) {
  PluginLoadRequest r;
  r.path = test_plugin("custom_factory");
  r.factory = "my_cache_factory";
  EXPECT_EQ(load_plugin(r)->name(), "custom_factory");
  EXPECT_THAT(load_error(test_plugin("custom_factory")),
              HasSubstr("does not export the factory symbol 'fibd_cache_plugin'"));
}

TEST(PluginLoader, WrongAbiNamesBothVersions) {
  EXPECT_THAT(load_error(test_plugin("wrong_abi")),
              AllOf(HasSubstr("built for cache plugin ABI version 999"),
                    HasSubstr("this fibd speaks ABI version " +
                              std::to_string(FIBD_CACHE_ABI_VERSION))));
}

TEST(PluginLoader, NullDescriptor) {
  EXPECT_THAT(load_error(test_plugin("null_descriptor")),
              HasSubstr("its factory 'fibd_cache_plugin' returned a NULL descriptor"));
}

TEST(PluginLoader, MissingEntryPoint) {
  EXPECT_THAT(load_error(test_plugin("missing_entry")),
              HasSubstr("its descriptor lacks required entry points: get"));
}

TEST(PluginLoader, CreateFailureCarriesPluginMessage) {
  EXPECT_THAT(
      load_error(test_plugin("create_fails")),
      AllOf(HasSubstr("plugin 'create_fails' 1.0 failed to start"),
            HasSubstr("cannot reach backend 192.0.2.1:6379: connection refused")));
}

TEST(PluginLoader, OptionsAreChecked) {
  PluginLoadRequest r;
  r.path = shipped_plugin("memory");
  r.options = {{"max_bytes", "1MiB"}, {"max_bytes", "2MiB"}};
  EXPECT_THAT(load_error(r), HasSubstr("option 'max_bytes' is given twice"));
  r.options = {{"", "x"}};
  EXPECT_THAT(load_error(r), HasSubstr("an option key is empty"));
  r.options = {{"max_bytes", std::string("1\0", 2)}};
  EXPECT_THAT(load_error(r), HasSubstr("contains a NUL byte"));
  r.options = {{"bogus", "1"}};
  EXPECT_THAT(load_error(r), HasSubstr("unknown option 'bogus'"));
}

TEST(PluginLoader, ResolvesPluginSetting) {
  EXPECT_EQ(resolve_plugin_path("memory", "/usr/lib/fibd/plugins"),
            "/usr/lib/fibd/plugins/memory.so");
  EXPECT_EQ(resolve_plugin_path("memory.so", "/usr/lib/fibd/plugins/"),
            "/usr/lib/fibd/plugins/memory.so");
  EXPECT_EQ(resolve_plugin_path("/opt/x/../y/p.so", "/ignored"), "/opt/y/p.so");
  std::string cwd = std::filesystem::current_path().string();
  EXPECT_EQ(resolve_plugin_path("./build/plugins/memory.so", "/ignored"),
            cwd + "/build/plugins/memory.so");
  EXPECT_THROW(resolve_plugin_path("", "/x"), CacheLoadError);
  EXPECT_THROW(resolve_plugin_path("..", "/x"), CacheLoadError);
  EXPECT_THROW(resolve_plugin_path("a b", "/x"), CacheLoadError);
  EXPECT_THROW(resolve_plugin_path("memory", ""), CacheLoadError);
}

TEST(PluginLoader, OpenCache) {
  CacheSettings none;
  none.plugin = "none";
  auto n = open_cache(none);
  EXPECT_EQ(n->name(), "none");
  EXPECT_EQ(n->path(), "");

  CacheSettings s;
  s.plugin = "memory";
  s.plugin_dir = std::string(FIBD_BUILD_DIR) + "/plugins";
  s.options = {{"max_bytes", "1MiB"}, {"shards", "2"}};
  s.expiration = std::chrono::milliseconds(1500);
  auto cache = open_cache(s);
  EXPECT_EQ(cache->name(), "memory");
  EXPECT_EQ(cache->path(), shipped_plugin("memory"));
  std::string value, error;
  EXPECT_EQ(cache->get("10", value, error), CacheOutcome::NotFound);
  EXPECT_TRUE(cache->set("10", "55", s.expiration, error)) << error;
  EXPECT_EQ(cache->get("10", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, "55");
}

TEST(PluginLoader, EveryLoadIsANewImage) {
  auto a = load(test_plugin("versioned_v1"));
  auto b = load(test_plugin("versioned_v1"));
  EXPECT_NE(a->load_path(), b->load_path());
  // Each image counts its own instances: one each, nothing shared.
  for (auto* c : {a.get(), b.get()}) {
    std::vector<std::pair<std::string, std::uint64_t>> stats;
    std::string error;
    ASSERT_EQ(c->stats(stats, error), FIBD_CACHE_OK) << error;
    ASSERT_EQ(stats.size(), 1u);
    EXPECT_EQ(stats[0], (std::pair<std::string, std::uint64_t>{"instances", 1}));
  }
}

TEST(PluginLoader, ReplacedSoRunsNewCodeWhileOldInstanceServes) {
  TempDir dir;
  const std::string target = dir.file("versioned.so");
  copy_to(test_plugin("versioned_v1"), target);
  auto before_live = PluginImage::live_count();
  auto pinned = PluginImage::pinned_count();

  auto v1 = load(target);
  std::string value, error;
  ASSERT_EQ(v1->get("k", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, "v1");

  // Replace the file the way dpkg does: write a temp file, rename over it.
  copy_to(test_plugin("versioned_v2"), dir.file(".versioned.so.dpkg-new"));
  ASSERT_EQ(::rename(dir.file(".versioned.so.dpkg-new").c_str(), target.c_str()), 0);

  auto v2 = load(target);
  EXPECT_EQ(v2->version(), "2");
  ASSERT_EQ(v2->get("k", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, "v2");
  // The old instance still runs the old code.
  EXPECT_EQ(v1->version(), "1");
  ASSERT_EQ(v1->get("k", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, "v1");
  EXPECT_EQ(v1->path(), v2->path());

  const std::string l1 = v1->load_path(), l2 = v2->load_path();
  EXPECT_NE(l1, l2);
  EXPECT_TRUE(image_mapped(l1));
  EXPECT_TRUE(image_mapped(l2));
  EXPECT_EQ(PluginImage::live_count(), before_live + 2);

  v1.reset();
  EXPECT_FALSE(image_mapped(l1));
  EXPECT_TRUE(image_mapped(l2));
  v2.reset();
  EXPECT_FALSE(image_mapped(l2));
  EXPECT_EQ(dlopen(l1.c_str(), RTLD_LAZY | RTLD_NOLOAD), nullptr);
  EXPECT_EQ(dlopen(l2.c_str(), RTLD_LAZY | RTLD_NOLOAD), nullptr);
  EXPECT_EQ(PluginImage::live_count(), before_live);
  EXPECT_EQ(PluginImage::pinned_count(), pinned);
}

TEST(PluginLoader, ImageThatStaysLoadedIsReported) {
  test::LogCapture log;
  auto pinned_before = PluginImage::pinned_count();
  auto cache = load(test_plugin("pinned"));
  const std::string load_path = cache->load_path();
  cache.reset();
  EXPECT_EQ(PluginImage::pinned_count(), pinned_before + 1);
  EXPECT_THAT(log.text(), HasSubstr("still loaded after dlclose"));
  // Its memfd stays open, so the path still names that image and no other.
  EXPECT_TRUE(image_mapped(load_path));
}

TEST(PluginLoader, LogsLoadWithTiming) {
  test::LogCapture log;
  auto cache = load(shipped_plugin("example_c"));
  EXPECT_THAT(log.text(), AllOf(HasSubstr("info loaded cache plugin example_c 1.0.0 "
                                          "(thread-safe, non-blocking) from " +
                                          shipped_plugin("example_c")),
                                HasSubstr(" ms")));
}

}  // namespace
}  // namespace fibd

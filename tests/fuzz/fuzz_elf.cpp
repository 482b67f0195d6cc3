// The ELF checks a plugin file passes before dlopen() (check_elf_file):
// header, program headers and dynamic section read from a file of fuzzed
// bytes. Counts and offsets in the file are the attacker's; reads must stay
// bounded and the verdict must match the header.
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "fuzz_check.h"
#include "plugin_host/elf_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0, "memfd_create");
  FUZZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate");
  if (size > 0)
    FUZZ_CHECK(pwrite(fd, data, size, 0) == static_cast<ssize_t>(size), "pwrite");

  const auto verdict = fibd::check_elf_file(fd);
  if (!verdict) {
    // Accepted: an ELF shared object for this very process.
    const fibd::ElfTarget host = fibd::host_elf_target();
    FUZZ_CHECK(size >= sizeof(ElfW(Ehdr)), "accepted %zu bytes", size);
    FUZZ_CHECK(std::memcmp(data, ELFMAG, SELFMAG) == 0, "accepted without ELF magic");
    ElfW(Ehdr) h;
    std::memcpy(&h, data, sizeof h);
    FUZZ_CHECK(h.e_type == ET_DYN, "accepted type %u", h.e_type);
    FUZZ_CHECK(h.e_ident[EI_CLASS] == host.elf_class && h.e_ident[EI_DATA] == host.data &&
                   h.e_machine == host.machine,
               "accepted a foreign architecture");
  } else {
    FUZZ_CHECK(!verdict->empty() && verdict->size() < 512, "verdict of %zu bytes",
               verdict->size());
  }
  return 0;
}

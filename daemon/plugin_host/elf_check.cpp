#include "plugin_host/elf_check.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

// The linker defines this symbol at the ELF header of the executable (or
// shared object) it links; it is how a program reads its own header.
extern "C" const ElfW(Ehdr) __ehdr_start;  // NOLINT

namespace fibd {

namespace {

const char* machine_name(std::uint16_t machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "aarch64";
    case EM_ARM:
      return "arm";
    case EM_RISCV:
      return "riscv";
    case EM_PPC64:
      return "ppc64";
    case EM_PPC:
      return "ppc";
    case EM_S390:
      return "s390";
    case EM_MIPS:
      return "mips";
    case EM_SPARCV9:
      return "sparc64";
    case EM_IA_64:
      return "ia64";
#ifdef EM_LOONGARCH
    case EM_LOONGARCH:
      return "loongarch";
#endif
    default:
      return nullptr;
  }
}

std::uint16_t read_u16(const unsigned char* p, unsigned char data) {
  return data == ELFDATA2LSB ? static_cast<std::uint16_t>(p[0] | (p[1] << 8))
                             : static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

bool pread_all(int fd, void* buf, std::size_t len, off_t offset) {
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    ssize_t n = ::pread(fd, p, len, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

}  // namespace

ElfTarget host_elf_target() {
  const ElfW(Ehdr)& h = __ehdr_start;
  return ElfTarget{h.e_ident[EI_CLASS], h.e_ident[EI_DATA], h.e_machine};
}

std::string describe_elf_target(const ElfTarget& t) {
  std::string out;
  if (const char* name = machine_name(t.machine)) {
    out = name;
  } else {
    out = "machine " + std::to_string(t.machine);
  }
  out += t.elf_class == ELFCLASS64   ? " (64-bit, "
         : t.elf_class == ELFCLASS32 ? " (32-bit, "
                                     : " (unknown class, ";
  out += t.data == ELFDATA2LSB   ? "little-endian)"
         : t.data == ELFDATA2MSB ? "big-endian)"
                                 : "unknown byte order)";
  return out;
}

std::optional<std::string> check_elf_header(const unsigned char* b, std::size_t len,
                                            const ElfTarget& host) {
  if (len == 0) return "not an ELF shared object: the file is empty";
  if (len < EI_NIDENT || std::memcmp(b, ELFMAG, SELFMAG) != 0) {
    return "not an ELF shared object: it does not start with the ELF magic bytes "
           "(a text file, a script or an archive?)";
  }
  ElfTarget file{b[EI_CLASS], b[EI_DATA], 0};
  if ((file.elf_class != ELFCLASS32 && file.elf_class != ELFCLASS64) ||
      (file.data != ELFDATA2LSB && file.data != ELFDATA2MSB)) {
    return "not an ELF shared object: its ELF header is corrupt (bad class or byte "
           "order)";
  }
  std::size_t header_size =
      file.elf_class == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  if (len < header_size) return "not an ELF shared object: the file is truncated";
  // e_type and e_machine sit at the same offsets in both classes.
  std::uint16_t type = read_u16(b + offsetof(Elf64_Ehdr, e_type), file.data);
  file.machine = read_u16(b + offsetof(Elf64_Ehdr, e_machine), file.data);
  switch (type) {
    case ET_DYN:
      break;
    case ET_REL:
      return "not a shared object: it is an ELF relocatable object (.o)";
    case ET_EXEC:
      return "not a shared object: it is an ELF executable";
    case ET_CORE:
      return "not a shared object: it is an ELF core dump";
    default:
      return "not a shared object: unknown ELF file type " + std::to_string(type);
  }
  if (file.elf_class != host.elf_class || file.data != host.data ||
      file.machine != host.machine) {
    return "wrong architecture: it is built for " + describe_elf_target(file) +
           ", but fibd runs on " + describe_elf_target(host);
  }
  return std::nullopt;
}

std::optional<std::string> check_elf_file(int fd) {
  ElfW(Ehdr) header{};
  ssize_t got = ::pread(fd, &header, sizeof header, 0);
  if (got < 0) return std::string("cannot read its ELF header: ") + std::strerror(errno);
  if (auto e = check_elf_header(reinterpret_cast<const unsigned char*>(&header),
                                static_cast<std::size_t>(got), host_elf_target())) {
    return e;
  }
  // Same class and byte order as the host from here on: native structs work.
  if (header.e_phentsize != sizeof(ElfW(Phdr)) || header.e_phnum == 0 ||
      header.e_phnum > 4096) {
    return "not a loadable shared object: it has no valid program headers";
  }
  std::vector<ElfW(Phdr)> phdrs(header.e_phnum);
  if (!pread_all(fd, phdrs.data(), phdrs.size() * sizeof(ElfW(Phdr)),
                 static_cast<off_t>(header.e_phoff))) {
    return "not a loadable shared object: its program headers are truncated";
  }
  for (const auto& ph : phdrs) {
    if (ph.p_type != PT_DYNAMIC) continue;
    std::size_t count = ph.p_filesz / sizeof(ElfW(Dyn));
    if (count == 0 || count > 65536) break;
    std::vector<ElfW(Dyn)> dyn(count);
    if (!pread_all(fd, dyn.data(), count * sizeof(ElfW(Dyn)),
                   static_cast<off_t>(ph.p_offset))) {
      return "not a loadable shared object: its dynamic section is truncated";
    }
    for (const auto& d : dyn) {
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE) != 0) {
        return "not a shared object: it is a position-independent executable";
      }
    }
    break;
  }
  return std::nullopt;
}

}  // namespace fibd

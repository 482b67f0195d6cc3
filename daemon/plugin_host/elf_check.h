// Is a file an ELF shared object this process can load? Answers before
// dlopen() so the message says what is wrong instead of dlerror()'s guess.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace fibd {

// The identity of an ELF target: class, byte order, machine.
struct ElfTarget {
  unsigned char elf_class = 0;  // ELFCLASS32 / ELFCLASS64
  unsigned char data = 0;       // ELFDATA2LSB / ELFDATA2MSB
  std::uint16_t machine = 0;    // EM_*
};

// What this process is (read from its own ELF header).
ElfTarget host_elf_target();

// "x86-64 (64-bit, little-endian)".
std::string describe_elf_target(const ElfTarget& target);

// Pure check of the first bytes of a file (at least the ELF header; `size` is
// the file's total size). nullopt when it is an ELF shared object or PIE for
// `host`; otherwise what it is instead, e.g. "not an ELF file",
// "an ELF relocatable object (.o), not a shared object", or
// "built for aarch64 (64-bit, little-endian), but fibd runs on x86-64 (...)".
std::optional<std::string> check_elf_header(const unsigned char* bytes, std::size_t len,
                                            const ElfTarget& host);

// Full check of an open file: the header as above, then whether an ET_DYN
// object is really a position-independent executable (DF_1_PIE), which
// dlopen() refuses. nullopt when loadable; otherwise what is wrong.
std::optional<std::string> check_elf_file(int fd);

}  // namespace fibd

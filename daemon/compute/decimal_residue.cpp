#include "compute/decimal_residue.h"

#include <bit>
#include <cstring>

namespace fibd {

namespace {

using u128 = unsigned __int128;

std::uint64_t load8(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;  // the first character in the low byte
}

// Every byte of the word is '0'..'9': its high nibble is 3, and adding 6
// keeps it 3 (a byte of 0xfa or more carries, but fails by itself).
bool eight_digits(std::uint64_t word) {
  return ((word & 0xF0F0F0F0F0F0F0F0) |
          (((word + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) ==
         0x3333333333333333;
}

// The value of eight digits, the first the most significant: pairs, then
// quads, then the whole, with three multiplications.
std::uint64_t eight_value(std::uint64_t word) {
  word -= 0x3030303030303030;
  word = word * 10 + (word >> 8);
  return (((word & 0x000000FF000000FF) * (100 + (1000000ULL << 32))) +
          (((word >> 16) & 0x000000FF000000FF) * (1 + (10000ULL << 32)))) >>
         32;
}

bool chunk_value(const char* p, std::uint64_t& value) {
  const std::uint64_t high = load8(p), low = load8(p + 8);
  if (!eight_digits(high) || !eight_digits(low)) return false;
  value = eight_value(high) * 100'000'000 + eight_value(low);  // below 10^16 < 2^54
  return true;
}

}  // namespace

bool decimal_residues(std::string_view digits, const CheckModuli& moduli, Residues& out) {
  const CheckPrime& a = moduli.primes[0];
  const CheckPrime& b = moduli.primes[1];
  const char* p = digits.data();
  const std::size_t len = digits.size();
  // The leading len mod 16 digits first, so the rest is whole chunks.
  const std::size_t head = len % kChunkDigits;
  std::uint64_t lead = 0;  // below 10^15, so already reduced modulo both
  for (std::size_t i = 0; i < head; ++i) {
    const unsigned d = static_cast<unsigned char>(p[i]) - unsigned{'0'};
    if (d > 9) return false;
    lead = lead * 10 + d;
  }
  std::uint64_t ra = lead, rb = lead;
  std::size_t pos = head;
  while (pos < len) {
    const std::size_t chunks = std::min((len - pos) / kChunkDigits, kBlockChunks);
    // Chunk j of the block weighs 10^(16 (chunks - 1 - j)); products are below
    // 2^54 * 2^62, and 32 of them with the carried residue fit in 128 bits.
    u128 sa = static_cast<u128>(ra) * a.chunk_power[chunks];
    u128 sb = static_cast<u128>(rb) * b.chunk_power[chunks];
    for (std::size_t j = 0; j < chunks; ++j, pos += kChunkDigits) {
      std::uint64_t c;
      if (!chunk_value(p + pos, c)) return false;
      sa += static_cast<u128>(c) * a.chunk_power[chunks - 1 - j];
      sb += static_cast<u128>(c) * b.chunk_power[chunks - 1 - j];
    }
    ra = static_cast<std::uint64_t>(sa % a.p);
    rb = static_cast<std::uint64_t>(sb % b.p);
  }
  out = {ra, rb};
  return true;
}

}  // namespace fibd

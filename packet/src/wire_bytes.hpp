#pragma once
// Private helpers shared by the packet sources: network-order loads and stores over std::byte
// memory, and the one's-complement fold. Everything is inline because the template writer, the
// reply parser and the cookie run once per packet.
//
// Contract: callers have already checked bounds; these helpers never check. They assemble values
// byte by byte (never reinterpret_cast over a buffer), which compilers turn into a single load plus
// a byte swap.
#include <cstddef>
#include <cstdint>

namespace synscan::packet::wire {

[[nodiscard]] inline std::uint8_t load8(const std::byte* at) noexcept {
  return std::to_integer<std::uint8_t>(at[0]);
}

[[nodiscard]] inline std::uint16_t load_big_endian16(const std::byte* at) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(at[0]) << 8 |
                                    std::to_integer<unsigned>(at[1]));
}

[[nodiscard]] inline std::uint32_t load_big_endian32(const std::byte* at) noexcept {
  return std::to_integer<std::uint32_t>(at[0]) << 24 | std::to_integer<std::uint32_t>(at[1]) << 16 |
         std::to_integer<std::uint32_t>(at[2]) << 8 | std::to_integer<std::uint32_t>(at[3]);
}

inline void store_big_endian16(std::byte* at, std::uint16_t value) noexcept {
  at[0] = static_cast<std::byte>(value >> 8);
  at[1] = static_cast<std::byte>(value);
}

inline void store_big_endian32(std::byte* at, std::uint32_t value) noexcept {
  at[0] = static_cast<std::byte>(value >> 24);
  at[1] = static_cast<std::byte>(value >> 16);
  at[2] = static_cast<std::byte>(value >> 8);
  at[3] = static_cast<std::byte>(value);
}

/// Folds a wide sum of 16-bit words with end-around carry into 16 bits.
[[nodiscard]] inline std::uint16_t fold_ones_complement(std::uint64_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

/// RFC 1624 eqn. 3 over a pre-summed delta: HC' = ~(~HC + sum(~m) + sum(m')).
/// `delta` is the sum of ~old_word + new_word over every changed word.
///
/// Canonical zero: a one's-complement sum of data that is not all zero is never +0 (0x0000) in
/// end-around-carry arithmetic, so a full recomputation never yields the checksum 0xFFFF. Eqn. 3
/// can land on +0 (e.g. when the only non-zero word changes to zero and back), so a folded +0 is
/// mapped to -0 (0xFFFF) here; the result then equals what a full recomputation gives.
[[nodiscard]] inline std::uint16_t apply_checksum_delta(std::uint16_t checksum,
                                                        std::uint64_t delta) noexcept {
  std::uint16_t folded = fold_ones_complement(static_cast<std::uint16_t>(~checksum) + delta);
  if (folded == 0) folded = 0xFFFF;
  return static_cast<std::uint16_t>(~folded);
}

/// The delta contribution of one 16-bit word changing from old_word to new_word.
[[nodiscard]] inline std::uint32_t word_delta(std::uint16_t old_word,
                                              std::uint16_t new_word) noexcept {
  return std::uint32_t{static_cast<std::uint16_t>(~old_word)} + new_word;
}

/// The delta contribution of a 32-bit field (two words) changing.
[[nodiscard]] inline std::uint32_t word_delta32(std::uint32_t old_value,
                                                std::uint32_t new_value) noexcept {
  return word_delta(static_cast<std::uint16_t>(old_value >> 16),
                    static_cast<std::uint16_t>(new_value >> 16)) +
         word_delta(static_cast<std::uint16_t>(old_value), static_cast<std::uint16_t>(new_value));
}

}  // namespace synscan::packet::wire

#pragma once
/// A seeded bijection of [0, size): a 4-round Feistel network over the smallest even-bit power of
/// two >= size, with cycle-walking (the BlackRock idea, implemented here from the paper-level
/// description). Both directions are O(1) expected (cycle-walking visits < 4 values on average).
#include <cstdint>
#include <span>
#include <string_view>

namespace synscan::scanner {

class Permutation {
 public:
  /// size >= 1.
  Permutation(std::uint64_t size, std::uint64_t seed) noexcept;
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// The value at position `position` (< size).
  [[nodiscard]] std::uint64_t at(std::uint64_t position) const noexcept;
  /// at() of positions first, first + stride, ... for each element of `out`, all < size. The
  /// same values as at() one by one, computed several at a time: their multiplications do not
  /// wait for each other.
  void at_many(std::uint64_t first, std::uint64_t stride, std::span<std::uint64_t> out) const noexcept;
  /// The position holding `value` (< size): at(inverse(v)) == v.
  [[nodiscard]] std::uint64_t inverse(std::uint64_t value) const noexcept;

 private:
  std::uint64_t size_;
  unsigned half_bits_;
  std::uint64_t half_mask_;
  std::uint64_t round_keys_[4];
  [[nodiscard]] std::uint64_t encrypt(std::uint64_t value) const noexcept;
  [[nodiscard]] std::uint64_t decrypt(std::uint64_t value) const noexcept;
};

/// --shard i/n: 1-based index i of n disjoint slices (masscan's convention).
struct Shard {
  std::uint32_t index = 1;
  std::uint32_t count = 1;
};
/// Parses "i/n" with 1 <= i <= n; throws UsageError otherwise.
Shard parse_shard(std::string_view text);

}  // namespace synscan::scanner

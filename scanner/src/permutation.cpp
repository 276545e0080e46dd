// Seeded bijection by a balanced Feistel network plus cycle-walking.
//
// A Feistel network is a bijection of its 2k-bit domain whatever the round function, so the
// round function only has to mix well, not be invertible. Cycle-walking restricts the bijection
// of [0, 4^k) to [0, size): re-encrypt until the value lands inside. Since 4^k < 4 * size, fewer
// than 4 steps are needed on average, and the walk from an in-range start always ends because
// the cycle through it returns to it.
#include "scanner/permutation.hpp"

#include <algorithm>
#include <bit>
#include <charconv>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

// splitmix64 step (Steele, Lea, Flood): derives independent-looking round keys from one seed.
std::uint64_t splitmix64_next(std::uint64_t& state) noexcept {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t mixed = state;
  mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ULL;
  mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBULL;
  return mixed ^ (mixed >> 31);
}

// Round function: murmur3's 64-bit finalizer over (half, key). Every input bit affects every
// output bit, so the low half_bits of the result are well mixed even for tiny domains.
std::uint64_t round_function(std::uint64_t half, std::uint64_t round_key) noexcept {
  std::uint64_t mixed = half ^ round_key;
  mixed ^= mixed >> 33;
  mixed *= 0xFF51AFD7ED558CCDULL;
  mixed ^= mixed >> 33;
  mixed *= 0xC4CEB9FE1A85EC53ULL;
  mixed ^= mixed >> 33;
  return mixed;
}

}  // namespace

Permutation::Permutation(std::uint64_t size, std::uint64_t seed) noexcept
    : size_(size == 0 ? 1 : size) {
  // Smallest even bit count whose power of two covers [0, size), at least 2 (two 1-bit halves).
  const unsigned bits = size_ <= 1 ? 0 : static_cast<unsigned>(std::bit_width(size_ - 1));
  half_bits_ = bits <= 2 ? 1 : (bits + 1) / 2;
  half_mask_ = half_bits_ >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << half_bits_) - 1;
  std::uint64_t state = seed;
  for (std::uint64_t& key : round_keys_) key = splitmix64_next(state);
}

std::uint64_t Permutation::encrypt(std::uint64_t value) const noexcept {
  std::uint64_t left = value >> half_bits_;
  std::uint64_t right = value & half_mask_;
  for (const std::uint64_t key : round_keys_) {
    const std::uint64_t next_right = left ^ (round_function(right, key) & half_mask_);
    left = right;
    right = next_right;
  }
  return (left << half_bits_) | right;
}

std::uint64_t Permutation::decrypt(std::uint64_t value) const noexcept {
  std::uint64_t left = value >> half_bits_;
  std::uint64_t right = value & half_mask_;
  for (int round = 3; round >= 0; --round) {
    const std::uint64_t previous_left =
        right ^ (round_function(left, round_keys_[round]) & half_mask_);
    right = left;
    left = previous_left;
  }
  return (left << half_bits_) | right;
}

std::uint64_t Permutation::at(std::uint64_t position) const noexcept {
  std::uint64_t value = encrypt(position);
  while (value >= size_) value = encrypt(value);
  return value;
}

void Permutation::at_many(std::uint64_t first, std::uint64_t stride,
                          std::span<std::uint64_t> out) const noexcept {
  // Fixed-width lanes run the four rounds side by side; lanes past the end compute values
  // nobody reads.
  constexpr std::size_t kLanes = 8;
  for (std::size_t done = 0; done < out.size(); done += kLanes) {
    std::uint64_t left[kLanes], right[kLanes];
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      const std::uint64_t position = first + (done + lane) * stride;
      left[lane] = position >> half_bits_;
      right[lane] = position & half_mask_;
    }
    for (const std::uint64_t key : round_keys_) {
      for (std::size_t lane = 0; lane < kLanes; ++lane) {
        const std::uint64_t next_right = left[lane] ^ (round_function(right[lane], key) & half_mask_);
        left[lane] = right[lane];
        right[lane] = next_right;
      }
    }
    const std::size_t lanes = std::min(kLanes, out.size() - done);
    for (std::size_t lane = 0; lane < lanes; ++lane) {
      std::uint64_t value = (left[lane] << half_bits_) | right[lane];
      while (value >= size_) value = encrypt(value);  // cycle-walking, as in at()
      out[done + lane] = value;
    }
  }
}

std::uint64_t Permutation::inverse(std::uint64_t value) const noexcept {
  std::uint64_t position = decrypt(value);
  while (position >= size_) position = decrypt(position);
  return position;
}

Shard parse_shard(std::string_view text) {
  const auto reject = [text]() {
    throw UsageError("invalid shard '" + std::string(text) + "': expected i/n with 1 <= i <= n");
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) reject();
  const auto parse_part = [&](std::string_view part) -> std::uint32_t {
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc{} || end != part.data() + part.size()) reject();
    return value;
  };
  const Shard shard{parse_part(text.substr(0, slash)), parse_part(text.substr(slash + 1))};
  if (shard.index < 1 || shard.index > shard.count) reject();
  return shard;
}

}  // namespace synscan::scanner

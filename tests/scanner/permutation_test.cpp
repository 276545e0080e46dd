// The permutation must be a bijection for every size: each position maps to a distinct value in
// range (full coverage exactly once), and inverse() undoes at().
#include "scanner/permutation.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

// Visits every position once; fails on a value out of range or seen twice.
void expect_bijection(std::uint64_t size, std::uint64_t seed, std::uint64_t inverse_stride = 1) {
  const Permutation permutation(size, seed);
  ASSERT_EQ(permutation.size(), size);
  std::vector<bool> seen(size, false);
  for (std::uint64_t position = 0; position < size; ++position) {
    const std::uint64_t value = permutation.at(position);
    ASSERT_LT(value, size) << "size " << size << " position " << position;
    ASSERT_FALSE(seen[value]) << "size " << size << " value " << value << " seen twice";
    seen[value] = true;
    if (position % inverse_stride == 0) {
      ASSERT_EQ(permutation.inverse(value), position) << "size " << size;
    }
  }
  // size distinct values below size: every value was hit exactly once.
}

TEST(Permutation, BijectionForManySizes) {
  const std::uint64_t sizes[] = {1,
                                 2,
                                 3,
                                 4,
                                 5,
                                 7,
                                 97,
                                 255,
                                 256,
                                 257,
                                 65535,
                                 65536,
                                 65537,
                                 1'000'003,
                                 (1u << 20) - 1,
                                 1u << 20,
                                 (1u << 20) + 1};
  for (const std::uint64_t size : sizes) {
    for (const std::uint64_t seed : {0ULL, 1ULL, 0xDEADBEEFCAFEULL}) expect_bijection(size, seed);
  }
}

TEST(Permutation, BijectionForASlash16TimesAThousandPorts) {
  expect_bijection(65'536'000, 42, 97);
}

TEST(Permutation, InverseUndoesAtForHugeSizes) {
  for (const std::uint64_t size :
       {std::uint64_t{1} << 32, (std::uint64_t{1} << 40) + 12345, ~std::uint64_t{0}}) {
    const Permutation permutation(size, 9);
    for (std::uint64_t position = 0; position < 100'000; ++position) {
      const std::uint64_t spread_position = position * 0x9E3779B97F4A7C15ULL % size;
      const std::uint64_t value = permutation.at(spread_position);
      ASSERT_LT(value, size);
      ASSERT_EQ(permutation.inverse(value), spread_position);
    }
  }
}

TEST(Permutation, SeedChoosesTheOrder) {
  constexpr std::uint64_t kSize = 10'000;
  const Permutation first(kSize, 1), same(kSize, 1), other(kSize, 2);
  std::uint64_t differing = 0;
  for (std::uint64_t position = 0; position < kSize; ++position) {
    EXPECT_EQ(first.at(position), same.at(position));
    differing += first.at(position) != other.at(position);
  }
  EXPECT_GT(differing, kSize * 9 / 10);
  // Small sizes still get different orders from different seeds.
  std::uint64_t orders_differing = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const Permutation a(97, seed), b(97, seed + 100);
    for (std::uint64_t position = 0; position < 97; ++position) {
      if (a.at(position) != b.at(position)) {
        ++orders_differing;
        break;
      }
    }
  }
  EXPECT_EQ(orders_differing, 20u);
}

TEST(Permutation, LooksShuffled) {
  // Not a statistical test suite; just no identity and no long runs of consecutive values.
  constexpr std::uint64_t kSize = 1'000'003;
  const Permutation permutation(kSize, 7);
  std::uint64_t fixed_points = 0, ascending_neighbours = 0;
  for (std::uint64_t position = 0; position < kSize; ++position) {
    const std::uint64_t value = permutation.at(position);
    fixed_points += value == position;
    if (position > 0) ascending_neighbours += value == permutation.at(position - 1) + 1;
  }
  EXPECT_LT(fixed_points, 20u);
  EXPECT_LT(ascending_neighbours, 20u);
}

TEST(ParseShard, AcceptsIOverN) {
  const Shard shard = parse_shard("2/3");
  EXPECT_EQ(shard.index, 2u);
  EXPECT_EQ(shard.count, 3u);
  EXPECT_EQ(parse_shard("1/1").count, 1u);
  EXPECT_EQ(parse_shard("7/7").index, 7u);
}

TEST(ParseShard, RejectsMalformed) {
  for (const char* bad : {"", "1", "0/3", "4/3", "1/0", "a/3", "1/b", "1/3/4", "-1/3", "1 /3", "/3",
                          "1/", "99999999999/3"}) {
    try {
      (void)parse_shard(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find(std::string("'") + bad + "'"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace synscan::scanner

// The permutation must be a bijection for every size: each position maps to a distinct value in
// range (full coverage exactly once), and inverse() undoes at().
#include "scanner/permutation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
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

// at_many computes lanes side by side, with lanes past the end and cycle-walking lanes: it must
// give exactly at()'s values for every size class (below, at and above a power of four), first
// position, stride and count, including counts that are not a multiple of its lane width.
TEST(Permutation, AtManyEqualsAtOneByOne) {
  const std::uint64_t sizes[] = {1, 2, 3, 5, 16, 17, 100, 255, 256, 257, 65'535, 65'536, 65'537, (1u << 20) + 3};
  for (const std::uint64_t size : sizes) {
    for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xDEADBEEF}}) {
      const Permutation permutation(size, seed);
      for (const std::uint64_t stride : {std::uint64_t{1}, std::uint64_t{3}}) {
        for (const std::uint64_t first : {std::uint64_t{0}, std::uint64_t{1}, size / 2}) {
          if (first >= size) continue;
          const std::uint64_t available = (size - first + stride - 1) / stride;
          for (const std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8},
                                          std::size_t{9}, std::size_t{100}}) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(count, available));
            std::vector<std::uint64_t> many(n + 1, ~0ull);
            permutation.at_many(first, stride, std::span<std::uint64_t>(many.data(), n));
            for (std::size_t i = 0; i < n; ++i) {
              ASSERT_EQ(many[i], permutation.at(first + i * stride))
                  << "size " << size << " seed " << seed << " first " << first << " stride " << stride << " i " << i;
            }
            EXPECT_EQ(many[n], ~0ull) << "wrote past the span";
          }
        }
      }
    }
  }
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

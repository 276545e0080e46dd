// The probe order covers every (host, probe) pair exactly once, shards partition it, and
// consecutive probes of a group land on different hosts.
#include "scanner/scan_order.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace synscan::scanner {
namespace {

// Walks every group of `order` and counts visits per (host index, probe) pair.
void count_visits(const ScanOrder& order, std::vector<std::uint8_t>& visits) {
  for (std::uint64_t group = 0; group < order.group_count(); ++group) {
    ScanOrder::GroupWalk walk(order, group);
    EXPECT_EQ(walk.group(), group);
    std::uint64_t entry = 0, walked = 0;
    while (walk.next(entry)) {
      ASSERT_LT(entry, order.entries_in_group(group));
      EXPECT_TRUE(order.in_shard(group, entry));
      const auto local_host = static_cast<std::uint32_t>(entry / order.probes_per_host());
      const std::uint64_t probe = entry % order.probes_per_host();
      const std::uint64_t host = order.host_index(group, local_host);
      ASSERT_LT(host, order.host_count());
      ++visits[host * order.probes_per_host() + probe];
      ++walked;
    }
    EXPECT_LE(walked, order.entries_in_group(group));
  }
}

struct OrderCase {
  std::uint64_t hosts;
  std::uint32_t probes;
  std::uint32_t hosts_per_group;
};

const OrderCase kOrderCases[] = {
    {1, 1, 1},     {1, 7, 4},    {2, 1, 1},      {10, 3, 3},       {97, 5, 10},
    {256, 2, 256}, {1000, 1, 7}, {4096, 3, 100}, {65536, 5, 4096}, {65536, 5, 50'000},
};

TEST(ScanOrder, EveryPairExactlyOnce) {
  for (const OrderCase& test : kOrderCases) {
    const ScanOrder order(test.hosts, test.probes, test.hosts_per_group, 1234);
    EXPECT_EQ(order.group_count(), (test.hosts + test.hosts_per_group - 1) / test.hosts_per_group);
    std::uint64_t entries = 0;
    for (std::uint64_t group = 0; group < order.group_count(); ++group) {
      EXPECT_GE(order.hosts_in_group(group), 1u);
      EXPECT_LE(order.entries_in_group(group), order.max_entries_per_group());
      entries += order.entries_in_group(group);
    }
    EXPECT_EQ(entries, test.hosts * test.probes);
    EXPECT_EQ(order.shard_probe_count(), test.hosts * test.probes);
    std::vector<std::uint8_t> visits(test.hosts * test.probes, 0);
    count_visits(order, visits);
    EXPECT_TRUE(std::all_of(visits.begin(), visits.end(), [](std::uint8_t n) { return n == 1; }))
        << test.hosts << " hosts x " << test.probes << " probes";
  }
}

TEST(ScanOrder, ShardsAreDisjointAndComplete) {
  for (const OrderCase& test : kOrderCases) {
    for (const std::uint32_t shard_count : {1u, 2u, 3u, 7u}) {
      std::vector<std::uint8_t> visits(test.hosts * test.probes, 0);
      std::uint64_t announced = 0;
      for (std::uint32_t index = 1; index <= shard_count; ++index) {
        const ScanOrder order(test.hosts, test.probes, test.hosts_per_group, 99,
                              Shard{index, shard_count});
        announced += order.shard_probe_count();
        count_visits(order, visits);
      }
      EXPECT_EQ(announced, test.hosts * test.probes);
      EXPECT_TRUE(std::all_of(visits.begin(), visits.end(), [](std::uint8_t n) { return n == 1; }))
          << test.hosts << " hosts x " << test.probes << " probes, " << shard_count << " shards";
    }
  }
}

TEST(ScanOrder, InShardMatchesTheWalk) {
  const ScanOrder order(300, 4, 50, 5, Shard{2, 3});
  for (std::uint64_t group = 0; group < order.group_count(); ++group) {
    std::vector<bool> walked(order.entries_in_group(group), false);
    ScanOrder::GroupWalk walk(order, group);
    std::uint64_t entry = 0;
    while (walk.next(entry)) walked[entry] = true;
    for (std::uint64_t e = 0; e < walked.size(); ++e)
      EXPECT_EQ(order.in_shard(group, e), walked[e]);
  }
}

TEST(ScanOrder, LocateInvertsHostIndex) {
  const ScanOrder order(65536 + 17, 3, 1000, 77);
  std::vector<bool> seen(order.host_count(), false);
  for (std::uint64_t group = 0; group < order.group_count(); ++group) {
    for (std::uint32_t local = 0; local < order.hosts_in_group(group); ++local) {
      const std::uint64_t host = order.host_index(group, local);
      ASSERT_FALSE(seen[host]);
      seen[host] = true;
      const ScanOrder::Location location = order.locate(host);
      ASSERT_EQ(location.group, group);
      ASSERT_EQ(location.local_host, local);
    }
  }
  EXPECT_EQ(order.group_count(), 66u);
  EXPECT_EQ(order.hosts_in_group(order.group_count()), 0u);
}

// A short last group would give its few hosts a larger share of the send rate: 65536 hosts at
// 125 per group used to end with a group of 36, each host probed 3.5x as fast as the others.
TEST(ScanOrder, GroupSizesDifferByAtMostOneHost) {
  for (const OrderCase& test : kOrderCases) {
    const ScanOrder order(test.hosts, test.probes, test.hosts_per_group, 3);
    std::uint32_t smallest = ~0u, largest = 0;
    for (std::uint64_t group = 0; group < order.group_count(); ++group) {
      smallest = std::min(smallest, order.hosts_in_group(group));
      largest = std::max(largest, order.hosts_in_group(group));
    }
    EXPECT_LE(largest - smallest, 1u) << test.hosts << " hosts, " << test.hosts_per_group << " per group";
    EXPECT_LE(largest, test.hosts_per_group);
    EXPECT_EQ(order.max_entries_per_group(), std::uint64_t{largest} * test.probes);
  }
  const ScanOrder slash16(65536, 100, 125, 1);
  EXPECT_EQ(slash16.group_count(), 525u);
  EXPECT_EQ(slash16.hosts_in_group(0), 125u);
  EXPECT_EQ(slash16.hosts_in_group(524), 124u);
}

TEST(ScanOrder, RewindRepeatsThePass) {
  const ScanOrder order(100, 10, 20, 3, Shard{1, 2});
  ScanOrder::GroupWalk walk(order, 2);
  std::vector<std::uint64_t> first, second;
  std::uint64_t entry = 0;
  while (walk.next(entry)) first.push_back(entry);
  EXPECT_FALSE(walk.next(entry));
  walk.rewind();
  while (walk.next(entry)) second.push_back(entry);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.size(), 100u);
}

// next_many hands out the same entries as next(), in order, whatever the chunk size, for every
// shard and for the group with one host less; and a rewound walk repeats them.
TEST(ScanOrder, NextManyEqualsNextOneByOne) {
  for (const Shard shard : {Shard{1, 1}, Shard{2, 3}, Shard{3, 3}}) {
    const ScanOrder order(1003, 7, 100, 42, shard);
    for (std::uint64_t group = 0; group < order.group_count(); group += order.group_count() - 1) {
      ScanOrder::GroupWalk one(order, group), many(order, group);
      std::vector<std::uint64_t> expected, got;
      std::uint64_t entry = 0;
      while (one.next(entry)) expected.push_back(entry);
      for (const std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{16}, std::size_t{1000}}) {
        got.clear();
        many.rewind();
        std::vector<std::uint64_t> buffer(chunk);
        while (const std::size_t count = many.next_many(buffer)) {
          ASSERT_LE(count, chunk);
          got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(count));
        }
        EXPECT_EQ(got, expected) << "shard " << shard.index << "/" << shard.count << " group " << group
                                 << " chunk " << chunk;
        EXPECT_EQ(many.next_many(buffer), 0u);
        EXPECT_FALSE(many.next(entry));
      }
    }
  }
}

TEST(ScanOrder, SeedAndGroupChangeTheOrder) {
  const ScanOrder a(1000, 10, 100, 1), b(1000, 10, 100, 2);
  const auto entries_of = [](const ScanOrder& order, std::uint64_t group) {
    std::vector<std::uint64_t> entries;
    ScanOrder::GroupWalk walk(order, group);
    std::uint64_t entry = 0;
    while (walk.next(entry)) entries.push_back(entry);
    return entries;
  };
  EXPECT_NE(entries_of(a, 0), entries_of(b, 0));
  EXPECT_NE(entries_of(a, 0), entries_of(a, 1));
  EXPECT_EQ(entries_of(a, 3), entries_of(ScanOrder(1000, 10, 100, 1), 3));
  EXPECT_NE(a.host_index(0, 0) + a.host_index(0, 1), b.host_index(0, 0) + b.host_index(0, 1));
}

// Longest run of consecutive probes to the same host in one pass over a group.
std::uint64_t longest_same_host_run(const ScanOrder& order, std::uint64_t group) {
  ScanOrder::GroupWalk walk(order, group);
  std::uint64_t entry = 0, previous_host = ~std::uint64_t{0}, run = 0, longest = 0;
  while (walk.next(entry)) {
    const std::uint64_t host = entry / order.probes_per_host();
    run = host == previous_host ? run + 1 : 1;
    longest = std::max(longest, run);
    previous_host = host;
  }
  return longest;
}

TEST(ScanOrder, ProbesOfAHostAreSpreadOverTheGroup) {
  const OrderCase spread_cases[] = {
      {65536, 5, 64}, {65536, 5, 1000}, {4096, 1000, 64}, {10'000, 100, 256}, {100'000, 2, 4096}};
  for (const OrderCase& test : spread_cases) {
    const ScanOrder order(test.hosts, test.probes, test.hosts_per_group, 8);
    std::uint64_t worst = 0;
    for (std::uint64_t group = 0; group < std::min<std::uint64_t>(order.group_count(), 20);
         ++group) {
      worst = std::max(worst, longest_same_host_run(order, group));
    }
    EXPECT_LE(worst, 6u) << test.hosts_per_group << " hosts x " << test.probes << " probes";
  }
}

TEST(ChooseHostsPerGroup, AboutAQuarterSecondOfTraffic) {
  // 10 kpps x 0.25 s = 2500 probes = 500 hosts of 5 probes.
  EXPECT_EQ(choose_hosts_per_group(65536, 5, 10'000), 500u);
  EXPECT_EQ(choose_hosts_per_group(65536, 5, 10'000, 1.0), 2000u);
  // Unlimited rate counts as 1 Mpps.
  EXPECT_EQ(choose_hosts_per_group(1'000'000, 10, 1000), 25u);
  EXPECT_EQ(choose_hosts_per_group(1'000'000, 10, 0), 6553u);  // 250k wanted, capped at 64 Ki entries
  // At least one host, at most every host.
  EXPECT_EQ(choose_hosts_per_group(65536, 1000, 1), 1u);
  EXPECT_EQ(choose_hosts_per_group(100, 5, 1e6), 100u);
  EXPECT_EQ(choose_hosts_per_group(0, 5, 1e6), 1u);
  // A group never exceeds 64 Ki entries unless one host alone does.
  EXPECT_EQ(choose_hosts_per_group(1u << 24, 1, 1e8), 1u << 16);
  EXPECT_EQ(choose_hosts_per_group(1u << 24, 4096, 1e8), 16u);
  EXPECT_EQ(choose_hosts_per_group(1u << 24, 65535, 1e8), 1u);
  EXPECT_EQ(choose_hosts_per_group(1u << 24, 2'000'000, 1e9), 1u);
  for (const double rate : {1.0, 1e3, 1e5, 1e7, 0.0}) {
    for (const std::uint32_t probes : {1u, 5u, 1000u, 65535u}) {
      const std::uint32_t hosts = choose_hosts_per_group(1u << 20, probes, rate);
      EXPECT_GE(hosts, 1u);
      EXPECT_LE(std::uint64_t{hosts} * probes, std::max<std::uint64_t>(1u << 20, probes));
    }
  }
}

}  // namespace
}  // namespace synscan::scanner

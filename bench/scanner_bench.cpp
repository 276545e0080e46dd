// Per-probe costs of the scan-planning blocks: the transmitter pays GroupWalk::next +
// TargetSet::at + StateTable::mark_sent per probe, the capture thread index_of + locate +
// finalize per reply.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "scanner/permutation.hpp"
#include "scanner/scan_order.hpp"
#include "scanner/state_table.hpp"
#include "scanner/targets.hpp"

namespace synscan::scanner {
namespace {

void BM_PermutationAt(benchmark::State& state) {
  // A /16 x 1000 ports: 2^26 domain for 65.5 M values, so cycle-walking is exercised.
  const Permutation permutation(65'536'000, 1);
  std::uint64_t position = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(permutation.at(position));
    if (++position == permutation.size()) position = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PermutationAt);

void BM_PermutationInverse(benchmark::State& state) {
  const Permutation permutation(65'536'000, 1);
  std::uint64_t value = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(permutation.inverse(value));
    if (++value == permutation.size()) value = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PermutationInverse);

void BM_GroupWalkNext(benchmark::State& state) {
  // 50 kpps-sized groups of a /16 x 5 ports scan.
  const std::uint32_t hosts_per_group = choose_hosts_per_group(65536, 5, 50'000);
  const ScanOrder order(65536, 5, hosts_per_group, 7);
  ScanOrder::GroupWalk walk(order, 0);
  std::uint64_t entry = 0;
  for (auto _ : state) {
    if (!walk.next(entry)) {
      walk.rewind();
      walk.next(entry);
    }
    benchmark::DoNotOptimize(entry);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GroupWalkNext);

void BM_ScanOrderLocate(benchmark::State& state) {
  const ScanOrder order(65536, 5, 2500, 7);
  std::uint64_t host = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(order.locate(host));
    host = (host + 1) & 0xFFFF;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScanOrderLocate);

void BM_StateTableMarkSent(benchmark::State& state) {
  constexpr std::size_t kEntries = 1 << 16;
  StateTable table(4, kEntries);
  table.open_slot(2, 9);
  std::size_t entry = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.mark_sent(2, 9, entry));
    // A stride through the slot, as the permuted walk touches it; reopen before counts saturate.
    entry = (entry + 40'503) & (kEntries - 1);
    if (entry == 0) table.open_slot(2, 9);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateTableMarkSent);

void BM_StateTableFinalize(benchmark::State& state) {
  constexpr std::size_t kEntries = 1 << 16;
  StateTable table(4, kEntries);
  table.open_slot(2, 9);
  std::size_t entry = 0;
  for (auto _ : state) {
    // Half first answers, half duplicates (every entry is answered twice before the reopen).
    benchmark::DoNotOptimize(table.finalize(2, 9, entry >> 1, 3, 64));
    entry = (entry + 1) & (2 * kEntries - 1);
    if (entry == 0) table.open_slot(2, 9);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateTableFinalize);

void BM_TargetSetIndexOf(benchmark::State& state) {
  // 10'000 disjoint ranges: a realistic -iL list; lookups hit and miss.
  std::vector<AddressRange> include;
  std::mt19937 random(3);
  for (int i = 0; i < 10'000; ++i) {
    const std::uint32_t first = random() & 0xFFFFFF00u;
    include.push_back({first, first | 0x3F});
  }
  const TargetSet targets(include, {});
  std::vector<std::uint32_t> queries;
  for (int i = 0; i < 4096; ++i) {
    queries.push_back(i % 2 ? targets.at(random() % targets.size()) : random());
  }
  std::size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(targets.index_of(queries[next]));
    next = (next + 1) & 4095;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TargetSetIndexOf);

void BM_TargetSetAt(benchmark::State& state) {
  std::vector<AddressRange> include;
  std::mt19937 random(3);
  for (int i = 0; i < 10'000; ++i) {
    const std::uint32_t first = random() & 0xFFFFFF00u;
    include.push_back({first, first | 0x3F});
  }
  const TargetSet targets(include, {});
  std::uint64_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(targets.at(index));
    index += 7919;
    if (index >= targets.size()) index -= targets.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TargetSetAt);

}  // namespace
}  // namespace synscan::scanner

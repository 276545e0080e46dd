// Offline cost of one IPv6 probe against one IPv4 probe (issue 14 asks for at most 1.2x): the
// cookie (SipHash) plus the template write (copy, patch, incremental L4 checksum), and each part
// alone. Same loop shape for both families; the IPv6 target changes in its low 32 bits, as the
// addresses of a scanned prefix do.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "packet/cookie.hpp"
#include "packet/probe_template.hpp"
#include "scanner/scan_order.hpp"
#include "scanner/state_table.hpp"

namespace {

using namespace synscan::packet;

constexpr std::uint32_t kScannerIp = 0xC6130001;  // 198.19.0.1
constexpr Ipv6Bytes kScannerIpv6 = ipv6_from_groups({0x2001, 2, 0, 1, 0, 0, 0, 1});
constexpr Ipv6Bytes kPrefix = ipv6_from_groups({0x2001, 2, 0, 0, 0, 0, 0, 0});

FrameAddressing addressing() {
  FrameAddressing result;
  result.source_mac = {0x02, 0, 0, 0, 0, 1};
  result.destination_mac = {0x02, 0, 0, 0, 0, 2};
  result.source_ip = kScannerIp;
  result.source_ipv6 = kScannerIpv6;
  return result;
}

const Cookie kCookie(SipKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL}, kScannerIp,
                     SourcePortRange{}, kScannerIpv6);

// The target with index `index` inside 2001:2::/96.
inline void set_target(Ipv6Bytes& target, std::uint32_t index) noexcept {
  target[12] = static_cast<std::byte>(index >> 24);
  target[13] = static_cast<std::byte>(index >> 16);
  target[14] = static_cast<std::byte>(index >> 8);
  target[15] = static_cast<std::byte>(index);
}

const std::vector<std::byte> kDnsSizedPayload(30, std::byte{0x5A});

void BM_ProbeTcpSynIpv4(benchmark::State& state) {
  const TcpSynTemplate syn(addressing(), TcpSynOptions{});
  alignas(64) std::array<std::byte, 128> out{};
  std::uint32_t target = 0xC6120000;
  for (auto _ : state) {
    const ProbeCookie probe = kCookie.probe(target, 443);
    syn.write(out.data(), target, probe.source_port, 443, probe.sequence);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++target;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProbeTcpSynIpv4);

void BM_ProbeTcpSynIpv6(benchmark::State& state) {
  const Ipv6TcpSynTemplate syn(addressing(), TcpSynOptions{});
  alignas(64) std::array<std::byte, 128> out{};
  Ipv6Bytes target = kPrefix;
  std::uint32_t index = 0;
  for (auto _ : state) {
    set_target(target, index);
    const ProbeCookie probe = kCookie.probe(target, 443);
    syn.write(out.data(), target, probe.source_port, 443, probe.sequence);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++index;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProbeTcpSynIpv6);

void BM_ProbeUdpIpv4(benchmark::State& state) {
  const UdpTemplate udp(addressing(), kDnsSizedPayload, CookieEcho{0, 0, 2});
  alignas(64) std::array<std::byte, 128> out{};
  std::uint32_t target = 0xC6120000;
  for (auto _ : state) {
    const ProbeCookie probe = kCookie.probe(target, 53);
    udp.write(out.data(), target, probe.source_port, 53, probe.sequence);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++target;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProbeUdpIpv4);

void BM_ProbeUdpIpv6(benchmark::State& state) {
  const Ipv6UdpTemplate udp(addressing(), kDnsSizedPayload, CookieEcho{0, 0, 2});
  alignas(64) std::array<std::byte, 128> out{};
  Ipv6Bytes target = kPrefix;
  std::uint32_t index = 0;
  for (auto _ : state) {
    set_target(target, index);
    const ProbeCookie probe = kCookie.probe(target, 53);
    udp.write(out.data(), target, probe.source_port, 53, probe.sequence);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++index;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProbeUdpIpv6);

// The parts alone.
void BM_CookieIpv4(benchmark::State& state) {
  std::uint32_t target = 0xC6120000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kCookie.probe(target, 443));
    ++target;
  }
}
BENCHMARK(BM_CookieIpv4);

void BM_CookieIpv6(benchmark::State& state) {
  Ipv6Bytes target = kPrefix;
  std::uint32_t index = 0;
  for (auto _ : state) {
    set_target(target, index);
    benchmark::DoNotOptimize(kCookie.probe(target, 443));
    ++index;
  }
}
BENCHMARK(BM_CookieIpv6);

void BM_WriteTcpSynIpv6(benchmark::State& state) {
  const Ipv6TcpSynTemplate syn(addressing(), TcpSynOptions{});
  alignas(64) std::array<std::byte, 128> out{};
  Ipv6Bytes target = kPrefix;
  std::uint32_t index = 0;
  for (auto _ : state) {
    set_target(target, index);
    syn.write(out.data(), target, 40000, 443, index * 2654435761u);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++index;
  }
}
BENCHMARK(BM_WriteTcpSynIpv6);

void BM_WriteTcpSynIpv4(benchmark::State& state) {
  const TcpSynTemplate syn(addressing(), TcpSynOptions{});
  alignas(64) std::array<std::byte, 128> out{};
  std::uint32_t target = 0xC6120000;
  for (auto _ : state) {
    syn.write(out.data(), target, 40000, 443, target * 2654435761u);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++target;
  }
}
BENCHMARK(BM_WriteTcpSynIpv4);

// The whole per-probe transmit path of probe_path_bench.cpp's BM_PerProbePath (permutation walk,
// state table, address cache, cookie, template write) with IPv6 targets: a /112 (65536
// addresses, the same count as that benchmark's /16) whose addresses the group's cache holds as
// 16-byte values. The ratio of the two is the engine-level figure issue 14 asks about.
// kCacheTargetState: the group cache also holds each host's Cookie::target_state.
template <bool kCacheTargetState>
void BM_PerProbePathIpv6(benchmark::State& state) {
  constexpr std::uint64_t kTargets = 65536;
  const std::vector<std::uint16_t> ports = {22, 25, 80, 443, 8080};
  const auto probes_per_host = static_cast<std::uint32_t>(ports.size());
  const std::uint32_t hosts_per_group =
      synscan::scanner::choose_hosts_per_group(kTargets, probes_per_host, 50'000);
  const synscan::scanner::ScanOrder order(kTargets, probes_per_host, hosts_per_group, 7);
  synscan::scanner::StateTable table(1, order.max_entries_per_group());
  const Ipv6TcpSynTemplate syn(addressing(), TcpSynOptions{});
  alignas(64) std::array<std::byte, 128> frame{};

  std::vector<Ipv6Bytes> addresses;
  std::vector<Cookie::Ipv6TargetState> target_states;
  const auto open_group = [&](std::uint64_t group) {
    table.open_slot(0, group);
    addresses.resize(order.hosts_in_group(group));
    for (std::uint32_t host = 0; host < addresses.size(); ++host) {
      addresses[host] = kPrefix;
      set_target(addresses[host], static_cast<std::uint32_t>(order.host_index(group, host)));
    }
    if constexpr (kCacheTargetState) {
      target_states.resize(addresses.size());
      for (std::size_t host = 0; host < addresses.size(); ++host) {
        target_states[host] = kCookie.target_state(addresses[host]);
      }
    }
  };
  std::uint64_t group = 0;
  open_group(group);
  synscan::scanner::ScanOrder::GroupWalk walk(order, group);
  for (auto _ : state) {
    std::uint64_t entry;
    if (!walk.next(entry)) {
      group = (group + 1) % order.group_count();
      open_group(group);
      walk = synscan::scanner::ScanOrder::GroupWalk(order, group);
      continue;
    }
    (void)table.mark_sent(0, group, entry);
    const Ipv6Bytes& target = addresses[entry / probes_per_host];
    const std::uint16_t port = ports[entry % probes_per_host];
    const ProbeCookie probe = kCacheTargetState
                                  ? kCookie.probe(target_states[entry / probes_per_host], port)
                                  : kCookie.probe(target, port);
    syn.write(frame.data(), target, probe.source_port, port, probe.sequence);
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PerProbePathIpv6<false>)->Name("BM_PerProbePathIpv6");
// The same with Cookie::target_state cached beside each group's addresses.
BENCHMARK(BM_PerProbePathIpv6<true>)->Name("BM_PerProbePathIpv6CachedTargetState");

}  // namespace

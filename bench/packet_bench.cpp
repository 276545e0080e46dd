// Per-packet costs of the packet library: template write, cookie computation, reply parsing and
// validation. Each runs once per probe or per captured frame.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <iterator>
#include <vector>

#include "packet/cookie.hpp"
#include "packet/probe_template.hpp"
#include "packet/reply.hpp"

namespace {

using namespace synscan::packet;

constexpr std::uint32_t kScannerIp = 0xC0A80A05;

FrameAddressing bench_addressing() {
  FrameAddressing addressing;
  addressing.source_mac = {0x02, 0, 0, 0, 0, 1};
  addressing.destination_mac = {0x02, 0, 0, 0, 0, 2};
  addressing.source_ip = kScannerIp;
  return addressing;
}

void BM_TcpSynTemplateWrite(benchmark::State& state) {
  const TcpSynTemplate syn(bench_addressing(), TcpSynOptions{});
  std::array<std::byte, 64> out{};
  std::uint32_t destination = 0x0A000000;
  for (auto _ : state) {
    syn.write(out.data(), destination, 40000, 443, destination * 2654435761u);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++destination;
  }
}
BENCHMARK(BM_TcpSynTemplateWrite);

void BM_UdpTemplateWrite(benchmark::State& state) {
  // A DNS-sized payload (the built-in DNS probe is about this long).
  const std::vector<std::byte> payload(30, std::byte{0x5A});
  const UdpTemplate udp(bench_addressing(), payload);
  std::vector<std::byte> out(udp.size());
  std::uint32_t destination = 0x0A000000;
  for (auto _ : state) {
    udp.write(out.data(), destination, 40000, 53);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++destination;
  }
}
BENCHMARK(BM_UdpTemplateWrite);

// The per-probe hash: one SipHash-2-4 gives the source port and the sequence.
void BM_CookieProbe(benchmark::State& state) {
  const Cookie cookie(SipKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL}, kScannerIp,
                      SourcePortRange{});
  std::uint32_t target = 0x0A000000;
  for (auto _ : state) {
    const ProbeCookie probe = cookie.probe(target, 443);
    benchmark::DoNotOptimize(probe);
    ++target;
  }
}
BENCHMARK(BM_CookieProbe);

// A SYN-ACK answering the probe to `target`, built by turning our own SYN around.
std::vector<std::byte> syn_ack_for(const Cookie& cookie, std::uint32_t target) {
  const TcpSynTemplate syn(bench_addressing(), TcpSynOptions{});
  std::vector<std::byte> frame(syn.size());
  const auto [source_port, sequence] = cookie.probe(target, 443);
  // Written as the target's reply: addresses and ports swapped, SYN+ACK, ack = cookie + 1.
  syn.write(frame.data(), kScannerIp, 443, source_port, 0x5EED);
  const auto put32 = [&](std::size_t at, std::uint32_t value) {
    for (int index = 0; index < 4; ++index) {
      frame[at + static_cast<std::size_t>(index)] = std::byte((value >> (24 - 8 * index)) & 0xFF);
    }
  };
  put32(kIpv4Offset + 12, target);
  put32(kL4Offset + 8, sequence + 1);
  frame[kL4Offset + 13] = std::byte{tcp_flags::kSyn | tcp_flags::kAck};
  frame.resize(60);  // as captured: padded to the 60-byte Ethernet minimum
  return frame;      // checksums are stale; the parser does not check them
}

void BM_ParseSynAck(benchmark::State& state) {
  const Cookie cookie(SipKey{1, 2}, kScannerIp, SourcePortRange{});
  const std::vector<std::byte> frame = syn_ack_for(cookie, 0x0A000001);
  Reply reply;
  for (auto _ : state) {
    benchmark::DoNotOptimize(frame.data());
    const ParseStatus status = parse_ethernet_frame(frame, reply);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(reply);
  }
}
BENCHMARK(BM_ParseSynAck);

void BM_ValidateSynAck(benchmark::State& state) {
  const Cookie cookie(SipKey{1, 2}, kScannerIp, SourcePortRange{});
  Reply reply;
  if (parse_ethernet_frame(syn_ack_for(cookie, 0x0A000001), reply) != ParseStatus::kOk ||
      cookie.validate_syn_ack(reply) != Validation::kValid) {
    state.SkipWithError("the benchmark's SYN-ACK does not validate");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(reply);
    const Validation validation = cookie.validate_syn_ack(reply);
    benchmark::DoNotOptimize(validation);
  }
}
BENCHMARK(BM_ValidateSynAck);

// An ICMP port unreachable (Ethernet + IPv4 + ICMP + quoted IPv4 header + 8 bytes = 70 bytes)
// quoting one of our SYNs: the capture path's costliest parse.
void BM_ParseIcmpQuote(benchmark::State& state) {
  const TcpSynTemplate syn(bench_addressing(), TcpSynOptions{});
  std::vector<std::byte> probe(syn.size());
  syn.write(probe.data(), 0x0A000001, 40000, 443, 0x01020304);
  std::vector<std::byte> frame(probe.begin(), probe.begin() + kIpv4Offset);  // Ethernet header
  const std::byte ipv4_header[] = {
      std::byte{0x45}, std::byte{0},    std::byte{0},    std::byte{56},  // total length 56
      std::byte{0},    std::byte{0},    std::byte{0},    std::byte{0},
      std::byte{64},   std::byte{1},    std::byte{0},    std::byte{0},  // TTL, ICMP, checksum
      std::byte{10},   std::byte{0},    std::byte{0},    std::byte{1},  // from the target
      std::byte{0xC0}, std::byte{0xA8}, std::byte{0x0A}, std::byte{0x05}};
  const std::byte icmp_header[] = {std::byte{3}, std::byte{3}, std::byte{0}, std::byte{0},
                                   std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
  frame.insert(frame.end(), std::begin(ipv4_header), std::end(ipv4_header));
  frame.insert(frame.end(), std::begin(icmp_header), std::end(icmp_header));
  frame.insert(frame.end(), probe.begin() + kIpv4Offset, probe.begin() + kL4Offset + 8);
  Reply reply;
  if (parse_ethernet_frame(frame, reply) != ParseStatus::kOk || reply.quote.source_port != 40000) {
    state.SkipWithError("the benchmark's ICMP error does not parse");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(frame.data());
    const ParseStatus status = parse_ethernet_frame(frame, reply);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(reply);
  }
}
BENCHMARK(BM_ParseIcmpQuote);

}  // namespace

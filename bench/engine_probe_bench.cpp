// The probe kinds' dispatch against the direct calls it replaced, in one binary so they are
// compared in one run: ProbeSet::write (switch on the probe's kind) vs cookie + template write,
// and ProbeSet::classify (switch on the reply's protocol) vs the cookie check alone. The switch
// should cost nothing measurable next to the SipHash each side pays.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "engine/probes.hpp"
#include "packet/cookie.hpp"
#include "packet/probe_template.hpp"
#include "packet/reply.hpp"
#include "packet/udp_payloads.hpp"

namespace {

using namespace synscan;

const packet::FrameAddressing kAddressing{{{2, 0, 0, 0, 0, 1}}, {{2, 0, 0, 0, 0, 2}}, 0xC6130001u, 64, 1};
const packet::Cookie kCookie(packet::SipKey{1, 2}, 0xC6130001u, packet::SourcePortRange{});

scanner::engine::ProbeSet probe_set() {
  scanner::PortList ports;
  ports.tcp = {22, 80, 443};
  ports.udp = {53, 123, 9999};
  return scanner::engine::ProbeSet(kAddressing, kCookie, ports, packet::UdpPayloadTable::builtin());
}

// probe 0..2: TCP SYN, 3..5: UDP (DNS with the cookie in its id, NTP, no payload).
void BM_ProbeSetWrite(benchmark::State& state) {
  const scanner::engine::ProbeSet probes = probe_set();
  const auto first = static_cast<std::size_t>(state.range(0));
  alignas(64) std::array<std::byte, 1536> frame{};
  std::uint32_t target = 0xC6120000u;
  for (auto _ : state) {
    const std::size_t probe = first + (target & 1);
    benchmark::DoNotOptimize(probes.write(probe, ++target, frame.data()));
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProbeSetWrite)->Arg(0)->Arg(3)->ArgName("first_probe");

void BM_DirectWriteTcp(benchmark::State& state) {
  const packet::TcpSynTemplate syn(kAddressing, packet::TcpSynOptions{});
  alignas(64) std::array<std::byte, 1536> frame{};
  const std::uint16_t ports[2] = {22, 80};
  std::uint32_t target = 0xC6120000u;
  for (auto _ : state) {
    const std::uint16_t port = ports[target & 1];
    const packet::ProbeCookie cookie = kCookie.probe(++target, port);
    syn.write(frame.data(), target, cookie.source_port, port, cookie.sequence);
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectWriteTcp);

void BM_DirectWriteUdp(benchmark::State& state) {
  const packet::UdpPayloadTable table = packet::UdpPayloadTable::builtin();
  const packet::UdpTemplate dns(kAddressing, table.for_port(53).bytes, table.for_port(53).echo);
  const packet::UdpTemplate ntp(kAddressing, table.for_port(123).bytes, table.for_port(123).echo);
  const packet::UdpTemplate* templates[2] = {&dns, &ntp};
  const std::uint16_t ports[2] = {53, 123};
  alignas(64) std::array<std::byte, 1536> frame{};
  std::uint32_t target = 0xC6120000u;
  for (auto _ : state) {
    const std::uint16_t port = ports[target & 1];
    const packet::UdpTemplate& udp = *templates[target & 1];
    const packet::ProbeCookie cookie = kCookie.probe(++target, port);
    udp.write(frame.data(), target, cookie.source_port, port, cookie.sequence);
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectWriteUdp);

// A SYN-ACK answering probe 1 (port 80) of 198.18.0.1, parsed once.
packet::Reply syn_ack() {
  packet::Reply reply;
  reply.source_ip = 0xC6120001u;
  reply.destination_ip = 0xC6130001u;
  reply.protocol = packet::kProtocolTcp;
  reply.ttl = 60;
  const packet::ProbeCookie cookie = kCookie.probe(reply.source_ip, 80);
  reply.source_port = 80;
  reply.destination_port = cookie.source_port;
  reply.tcp_acknowledgment = cookie.sequence + 1;
  reply.tcp_flags = packet::tcp_flags::kSyn | packet::tcp_flags::kAck;
  return reply;
}

void BM_ProbeSetClassifySynAck(benchmark::State& state) {
  const scanner::engine::ProbeSet probes = probe_set();
  const packet::Reply reply = syn_ack();
  for (auto _ : state) {
    scanner::engine::Verdict verdict;
    std::int32_t probe = -1;
    benchmark::DoNotOptimize(probes.classify(reply, verdict, probe));
    benchmark::DoNotOptimize(verdict);
    benchmark::DoNotOptimize(probe);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProbeSetClassifySynAck);

void BM_DirectValidateSynAck(benchmark::State& state) {
  const packet::Reply reply = syn_ack();
  for (auto _ : state) benchmark::DoNotOptimize(kCookie.validate_syn_ack(reply));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectValidateSynAck);

}  // namespace

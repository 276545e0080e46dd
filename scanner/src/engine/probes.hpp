#pragma once
// The scan's probes: probe index -> (kind, port) for the transmitter, (kind, port) -> probe index
// and reply -> Verdict for the receiver, probe index + reason -> PortResult for the collector.
// Probe indices run over the TCP ports, then the UDP ports (the scan order and resume files
// depend on it). Immutable after setup; shared read-only by every thread.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/probe_kind.hpp"
#include "engine/probe_tcp_syn.hpp"
#include "engine/probe_udp.hpp"
#include "packet/cookie.hpp"
#include "packet/reply.hpp"
#include "scanner/ports.hpp"

namespace synscan::scanner::engine {

class ProbeSet {
 public:
  ProbeSet(const packet::FrameAddressing& addressing, const packet::Cookie& cookie,
           const PortList& ports, packet::UdpPayloadTable udp_payloads);

  [[nodiscard]] std::uint32_t probes_per_host() const noexcept {
    return static_cast<std::uint32_t>(probes_.size());
  }
  [[nodiscard]] const packet::Cookie& cookie() const noexcept { return cookie_; }
  /// The capture filter: replies to `source_ip` (.. + source_count - 1) for every kind, and ICMP
  /// errors; with a range, also ARP requests (the receiver answers those for the range).
  [[nodiscard]] std::string bpf_filter(std::uint32_t source_ip, std::uint32_t source_count = 1) const;

  /// Writes probe `probe` to `target` into `out` (room for 1536 bytes); returns the frame size.
  std::uint32_t write(std::size_t probe, std::uint32_t target, std::byte* out) const noexcept {
    const Probe& info = probes_[probe];
    return with_kind(info.kind, [&](const auto& kind) {
      return kind.write(out, target, info.port, info.index, cookie_);
    });
  }

  /// Which probe a parsed reply answers. `probe` is -1 when the reply is ours but names a port
  /// this scan does not probe.
  Classified classify(const packet::Reply& reply, Verdict& verdict, std::int32_t& probe) const noexcept {
    ProbeKind kind;
    Classified classified;
    if (reply.protocol == packet::kProtocolIcmp) {
      if (!kind_of(reply.quote.protocol, kind)) return Classified::kNotOurs;
      classified = with_kind(kind, [&](const auto& probes) { return probes.classify_icmp(reply, cookie_, verdict); });
    } else {
      if (!kind_of(reply.protocol, kind)) return Classified::kUnexpected;
      classified = with_kind(kind, [&](const auto& probes) { return probes.classify(reply, cookie_, verdict); });
    }
    probe = probe_of_port_[static_cast<std::size_t>(kind)][verdict.port];
    return classified;
  }

  /// The port result of probe `probe` with this reason.
  [[nodiscard]] output::PortResult result(std::size_t probe, output::Reason reason,
                                          std::uint8_t ttl) const noexcept {
    const Probe& info = probes_[probe];
    const output::Protocol protocol = protocol_of(info.kind);
    return {info.port, protocol, output::port_state(protocol, reason), reason, ttl};
  }
  [[nodiscard]] output::Protocol protocol(std::size_t probe) const noexcept {
    return protocol_of(probes_[probe].kind);
  }

 private:
  struct Probe {
    ProbeKind kind;
    std::uint16_t port;
    std::uint32_t index;  ///< among the probes of its kind
  };
  static constexpr std::size_t kKinds = 2;

  /// The one switch over the kinds; `call` returns the same type for every kind.
  template <typename Call>
  std::invoke_result_t<Call, const TcpSynProbe&> with_kind(ProbeKind kind, Call&& call) const noexcept {
    switch (kind) {
      case ProbeKind::kTcpSyn: return call(tcp_syn_);
      case ProbeKind::kUdp: return call(udp_);
    }
    __builtin_unreachable();
  }
  static output::Protocol protocol_of(ProbeKind kind) noexcept {
    return kind == ProbeKind::kUdp ? output::Protocol::kUdp : output::Protocol::kTcp;
  }
  /// The kind whose direct replies (and quoted probes) use IP protocol `protocol`.
  static bool kind_of(std::uint8_t protocol, ProbeKind& kind) noexcept {
    switch (protocol) {
      case TcpSynProbe::kIpProtocol: kind = ProbeKind::kTcpSyn; return true;
      case UdpProbe::kIpProtocol: kind = ProbeKind::kUdp; return true;
      default: return false;
    }
  }

  packet::Cookie cookie_;
  TcpSynProbe tcp_syn_;
  UdpProbe udp_;
  std::vector<Probe> probes_;
  std::vector<std::int32_t> probe_of_port_[kKinds];  ///< 65536 each; -1 = port not probed
};

}  // namespace synscan::scanner::engine

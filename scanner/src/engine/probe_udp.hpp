#pragma once
// UDP probes (nmap -sU) with the payload table's protocol payloads. The cookie selects the source
// port and, where the payload's protocol echoes an id (DNS id, NTP origin timestamp, ...), sits in
// the payload: the UDP template writes it there and a reply must echo it back.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/probe_kind.hpp"
#include "packet/cookie.hpp"
#include "packet/probe_template.hpp"
#include "packet/reply.hpp"
#include "packet/udp_payloads.hpp"

namespace synscan::scanner::engine {

class UdpProbe {
 public:
  static constexpr ProbeKind kKind = ProbeKind::kUdp;
  static constexpr output::Protocol kProtocol = output::Protocol::kUdp;
  static constexpr std::uint8_t kIpProtocol = packet::kProtocolUdp;

  /// One template per payload the scanned `ports` use (probe index i of this kind is ports[i]).
  UdpProbe(const packet::FrameAddressing& addressing, packet::UdpPayloadTable payloads,
           std::span<const std::uint16_t> ports);

  [[nodiscard]] static std::string bpf_clause(packet::SourcePortRange ports) {
    return "udp and dst portrange " + std::to_string(ports.first) + "-" +
           std::to_string(ports.first + ports.count - 1);
  }

  /// Writes probe `index` (to target:port) into `out`; returns the frame size.
  std::uint32_t write(std::byte* out, std::uint32_t target, std::uint16_t port, std::uint32_t index,
                      const packet::Cookie& cookie) const noexcept {
    const packet::UdpTemplate& frame = templates_[template_of_probe_[index]];
    const packet::ProbeCookie probe = cookie.probe(target, port);
    frame.write(out, target, probe.source_port, port, probe.sequence);
    return static_cast<std::uint32_t>(frame.size());
  }

  /// A UDP reply: udp-response (open) when it comes from the probed port to the cookie's source
  /// port and, where the protocol echoes an id, carries the cookie back.
  Classified classify(const packet::Reply& reply, const packet::Cookie& cookie,
                      Verdict& verdict) const noexcept {
    if (cookie.validate_udp(reply) != packet::Validation::kValid) return Classified::kNotOurs;
    const packet::UdpPayload& payload = payloads_.for_port(reply.source_port);
    if (packet::UdpPayloadTable::check_echo(payload, reply.udp_payload,
                                            cookie.probe(reply.source_ip, reply.source_port).sequence) ==
        packet::EchoCheck::kMismatch) {
      return Classified::kNotOurs;
    }
    verdict = {reply.source_ip, reply.source_port, output::Reason::kUdpResponse};
    return Classified::kOurs;
  }

  /// An ICMP error quoting a UDP probe. Port unreachable means "closed" only when the target
  /// itself says so (nmap); from a router on the way it says the host is unreachable.
  Classified classify_icmp(const packet::Reply& reply, const packet::Cookie& cookie,
                           Verdict& verdict) const noexcept {
    if (cookie.validate_icmp_quote(reply) != packet::Validation::kValid) return Classified::kNotOurs;
    verdict = {reply.quote.destination_ip, reply.quote.destination_port,
               output::icmp_error_reason(reply.icmp_type, reply.icmp_code)};
    if (verdict.reason == output::Reason::kPortUnreach && reply.source_ip != verdict.target) {
      verdict.reason = output::Reason::kHostUnreach;
    }
    return Classified::kOurs;
  }

 private:
  packet::UdpPayloadTable payloads_;
  std::vector<packet::UdpTemplate> templates_;    ///< one per payload in use
  std::vector<std::uint32_t> template_of_probe_;  ///< by probe index of this kind
};

}  // namespace synscan::scanner::engine

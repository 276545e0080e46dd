#pragma once
// TCP SYN probes (nmap -sS). The cookie is the SYN's sequence number (and the source port when a
// range is used): a SYN-ACK or RST proves it answers our probe by acknowledging cookie + 1, an
// ICMP error by quoting our sequence number.
#include <cstdint>
#include <string>

#include "engine/probe_kind.hpp"
#include "packet/cookie.hpp"
#include "packet/probe_template.hpp"
#include "packet/reply.hpp"

namespace synscan::scanner::engine {

class TcpSynProbe {
 public:
  static constexpr ProbeKind kKind = ProbeKind::kTcpSyn;
  static constexpr output::Protocol kProtocol = output::Protocol::kTcp;
  static constexpr std::uint8_t kIpProtocol = packet::kProtocolTcp;

  explicit TcpSynProbe(const packet::FrameAddressing& addressing)
      : template_(addressing, packet::TcpSynOptions{}) {}

  [[nodiscard]] static std::string bpf_clause(packet::SourcePortRange ports) {
    return "tcp and dst portrange " + std::to_string(ports.first) + "-" +
           std::to_string(ports.first + ports.count - 1);
  }

  /// Writes the probe to target:port into `out`; returns the frame size.
  std::uint32_t write(std::byte* out, std::uint32_t target, std::uint16_t port,
                      std::uint32_t /*index*/, const packet::Cookie& cookie) const noexcept {
    const packet::ProbeCookie probe = cookie.probe(target, port);
    template_.write(out, target, probe.source_port, port, probe.sequence);
    return static_cast<std::uint32_t>(template_.size());
  }

  /// A TCP reply: SYN-ACK -> syn-ack (open), RST -> reset (closed); anything else is not ours.
  Classified classify(const packet::Reply& reply, const packet::Cookie& cookie,
                      Verdict& verdict) const noexcept {
    namespace flags = packet::tcp_flags;
    packet::Validation validation;
    if (reply.tcp_flags & flags::kRst) {
      validation = cookie.validate_rst(reply);
      verdict.reason = output::Reason::kReset;
    } else if ((reply.tcp_flags & (flags::kSyn | flags::kAck)) == (flags::kSyn | flags::kAck)) {
      validation = cookie.validate_syn_ack(reply);
      verdict.reason = output::Reason::kSynAck;
    } else {
      return Classified::kNotOurs;
    }
    verdict.target = reply.source_ip;
    verdict.port = reply.source_port;
    return validation == packet::Validation::kValid ? Classified::kOurs : Classified::kNotOurs;
  }

  /// An ICMP error quoting a TCP probe: the reason from its type and code.
  Classified classify_icmp(const packet::Reply& reply, const packet::Cookie& cookie,
                           Verdict& verdict) const noexcept {
    if (cookie.validate_icmp_quote(reply) != packet::Validation::kValid) return Classified::kNotOurs;
    verdict = {reply.quote.destination_ip, reply.quote.destination_port,
               output::icmp_error_reason(reply.icmp_type, reply.icmp_code)};
    return Classified::kOurs;
  }

 private:
  packet::TcpSynTemplate template_;
};

}  // namespace synscan::scanner::engine

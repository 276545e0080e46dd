#pragma once
/// Stateless probe validation: a keyed SipHash-2-4 over the probe's 4-tuple.
///
/// The sequence number of each SYN (and the source port, when a range is used) is derived from a
/// per-scan random key, so a reply proves it answers one of our probes without any per-probe
/// state: a SYN-ACK is ours iff ack - 1 == cookie. One hash per probe yields both values.
#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/reply.hpp"

namespace synscan::packet {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  /// 128 bits from the OS CSPRNG (getrandom). Throws std::system_error if unavailable.
  static SipKey random();
};

/// Reference SipHash-2-4 (Aumasson & Bernstein) of arbitrary bytes, for known-answer tests.
[[nodiscard]] std::uint64_t siphash24(const SipKey& key, std::span<const std::byte> data) noexcept;

/// The range of source ports probes are sent from.
struct SourcePortRange {
  std::uint16_t first = 40000;
  std::uint16_t count = 16384;  ///< >= 1; count == 1 pins the source port (-g)
  [[nodiscard]] bool contains(std::uint16_t port) const noexcept {
    return port >= first && static_cast<std::uint32_t>(port) < std::uint32_t{first} + count;
  }
};

/// What one probe carries: the source port it is sent from and its 32-bit cookie (the TCP initial
/// sequence number; for UDP, what protocols that echo an id get).
struct ProbeCookie {
  std::uint16_t source_port;
  std::uint32_t sequence;
};

/// Result of validating a reply against our cookie.
enum class Validation : std::uint8_t { kValid, kWrongPort, kWrongCookie, kNotOurs };

class Cookie {
 public:
  /// A range with count 0 is used as count 1, and one running past port 65535 is shortened to
  /// end there (source_ports() returns the range in use). `scanner_ipv6` is the source of IPv6
  /// probes (:: when the scan has none).
  Cookie(SipKey key, std::uint32_t scanner_ip, SourcePortRange ports) noexcept;
  Cookie(SipKey key, std::uint32_t scanner_ip, SourcePortRange ports,
         Ipv6View scanner_ipv6) noexcept;

  /// Source port and cookie of the probe to (target_ip, target_port): one SipHash-2-4 of the key,
  /// our address, the target and the pinned source port (if any). Depends only on those, so a
  /// reply can be checked against it without per-probe state.
  [[nodiscard]] ProbeCookie probe(std::uint32_t target_ip, std::uint16_t target_port) const noexcept;
  /// The same for an IPv6 target: one SipHash-2-4 of the key, scanner_ipv6, the target and the
  /// pinned port (36 bytes; the scanner's two words are absorbed once at construction, so a probe
  /// costs three compressions against the IPv4 probe's two).
  [[nodiscard]] ProbeCookie probe(Ipv6View target_ip, std::uint16_t target_port) const noexcept;

  /// The hash state after the scanner's and one IPv6 target's words: what every probe to that
  /// target starts from. A sender that probes several ports per host may compute it once per host
  /// (e.g. beside its cache of the group's addresses) and then pay one compression per probe.
  struct Ipv6TargetState {
    std::uint64_t words[4];
  };
  [[nodiscard]] Ipv6TargetState target_state(Ipv6View target_ip) const noexcept;
  /// Equals probe(target_ip, target_port) for the target `state` was computed from.
  [[nodiscard]] ProbeCookie probe(const Ipv6TargetState& state,
                                  std::uint16_t target_port) const noexcept;

  // The validators accept IPv4 and IPv6 replies alike (by reply.ip_version): "destined to us"
  // means scanner_ip() or scanner_ipv6().

  /// SYN-ACK: destined to us, from a port we probed, acknowledgment == cookie + 1.
  [[nodiscard]] Validation validate_syn_ack(const Reply& reply) const noexcept;
  /// RST in reply to our SYN, RFC 793 SYN-SENT acceptance: ACK bit set and ack == cookie + 1.
  [[nodiscard]] Validation validate_rst(const Reply& reply) const noexcept;
  /// UDP reply: from the probed port to the source port the cookie selects for that target.
  [[nodiscard]] Validation validate_udp(const Reply& reply) const noexcept;
  /// ICMP error: the quote is one of our probes (our address, the cookie's source port and, for
  /// TCP, the cookie's sequence number).
  [[nodiscard]] Validation validate_icmp_quote(const Reply& reply) const noexcept;

  /// IPv4 replies to (and quotes from) scanner_ip() .. scanner_ip() + count - 1 count as ours
  /// (-S with a range of source addresses; the cookie stays keyed on scanner_ip()).
  void accept_source_range(std::uint32_t count) noexcept { source_count_ = count == 0 ? 1 : count; }
  [[nodiscard]] std::uint32_t scanner_ip() const noexcept { return scanner_ip_; }
  [[nodiscard]] const Ipv6Bytes& scanner_ipv6() const noexcept { return scanner_ipv6_; }
  [[nodiscard]] SourcePortRange source_ports() const noexcept { return ports_; }

 private:
  /// Whether the reply is addressed to the scanner's address of its family.
  [[nodiscard]] bool addressed_to_us(const Reply& reply) const noexcept;
  /// The probe the reply's sender would answer: (reply source, reply source port).
  [[nodiscard]] ProbeCookie sender_probe(const Reply& reply) const noexcept;

  SipKey key_;
  std::uint32_t scanner_ip_;
  SourcePortRange ports_;
  std::uint32_t source_count_ = 1;  ///< IPv4 addresses from scanner_ip_ accepted as ours
  Ipv6Bytes scanner_ipv6_{};
  std::uint64_t ipv6_prefix_state_[4]{};  ///< SipHash state after the scanner_ipv6 words
};

}  // namespace synscan::packet
